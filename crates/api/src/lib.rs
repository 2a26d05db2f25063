//! Wire types of the account and telemetry API, shared by the server, the client and the app.
