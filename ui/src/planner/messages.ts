// What the planner's error codes mean to a person editing a plan, and what to do.
import type { CommandError } from "../bindings/desktop/CommandError";
import type { ErrorCode } from "../bindings/desktop/ErrorCode";
import { explain, lookup } from "../lib/errors";

const PLAN_MESSAGES: Partial<Record<ErrorCode, string>> = {
  plan_invalid: "The plan file does not read as a plan. Fix the line shown, or open another file.",
  plan_unreadable: "The plan file could not be read. Check that it still exists.",
  unknown_middleware: "A route uses middleware the catalog does not define. Add it to the catalog first.",
  unknown_region: "That region is not in the price book.",
  region_shares_not_one: "Region shares must add up to exactly 100%.",
  value_out_of_range: "A value is out of range (negative, or a ratio above 1).",
  route_traffic_ambiguous: "Give a route's traffic per month or per second, not both.",
  duplicate_route: "Another route already has that path. Paths must be unique.",
  middleware_in_use: "That middleware is still used by a route. Take it out of the routes first.",
  not_found: "That route or middleware is no longer in the plan.",
  bad_quantity: "That is not a quantity of zero or more. Write it as the CLI reads it: 150000, 150,000, 150k, 1.2M or 0.5.",
  usage_record_invalid: "A line of the usage file cannot be read.",
  usage_empty: "The usage file holds no records.",
  no_plan: "No plan is open. Open or start one.",
  unknown_recent_plan: "That plan is no longer in the recent plans list. Open its file from the start screen instead.",
  not_signed_in: "No account is connected. Connect one or open the demo from the first screen, or start from a usage file.",
  overflow: "A number is too large to compute exactly.",
};

/** One line for the status bar: what went wrong and what to do. */
export function planMessage(e: CommandError): string {
  const known = lookup(PLAN_MESSAGES, e.code);
  if (known) return `${known} (${e.message})`;
  const x = explain(e);
  return `${x.what} ${x.todo} (${e.message})`;
}
