// `sqlx::migrate!` embeds the migration files at compile time; without this a new migration
// would not rebuild the crate, and a stale binary would run an old schema.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
