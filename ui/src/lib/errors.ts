import type { CommandError } from "../bindings/desktop/CommandError";
import type { ErrorCode } from "../bindings/desktop/ErrorCode";

/** An error as a person reads it: what happened, then what to do about it. */
export interface Explained {
  code: string;
  what: string;
  todo: string;
  detail: string;
}

const EXPLANATIONS: Partial<Record<ErrorCode, [string, string]>> = {
  bad_server_url: [
    "That server URL is not valid.",
    "Enter the server's address, for example billing.example.com (https is assumed) or 127.0.0.1:8080 (http, on this computer).",
  ],
  no_server: ["No edgecost server at this address.", "Check the server URL: it is the server's address, without a path such as /v1."],
  empty_token: ["The API token is empty.", "Paste the account token you were given when the account was created."],
  keyring_unavailable: [
    "No system keyring is available, so the token cannot be stored safely.",
    "edgecost keeps tokens only in the OS keyring. Unlock or install a Secret Service keyring (such as GNOME Keyring) and try again, or use the demo.",
  ],
  keyring_error: ["The system keyring refused to store or read the token.", "Unlock the keyring and try again."],
  not_signed_in: ["You are signed out.", "Connect your account again with its token."],
  network: ["Could not reach the server.", "Check the server URL and your network. The dashboard keeps showing the last synced data."],
  unauthorized: ["Your token was rejected.", "It may have been revoked or belong to another server. Enter a new token."],
  server_error: ["The server ran into a problem.", "Try again in a minute. Nothing was changed."],
  bad_answer: ["The server's answer could not be read.", "Check that the URL points at an edgecost server of a matching version."],
  demo_failed: ["The demo could not start.", "Try again; if it keeps failing, remove the demo data in the app data folder."],
  rate_error: ["That usage cannot be priced.", "Check the quantities and the tier."],
  bad_quantity: ["A quantity is not a number.", "Write it as 350000, 350,000, 350k or 1.2M; leave a field empty for zero."],
  no_snapshot: ["There is no data yet.", "Wait for the first sync to finish."],
  chart_error: ["The chart could not be drawn.", "Try another range."],
  unknown_chart: ["That chart does not exist.", "Pick a chart from the dashboard."],
  write_failed: ["The file could not be saved.", "Pick a folder you can write to and try again."],
  read_failed: ["A file could not be read.", "Check that it still exists."],
  price_book_invalid: [
    "That file is not a price book the engine can read.",
    "Fix the line and column named below and pick the file again (`edgecost schema` prints the format).",
  ],
  demo_without_operator: [
    "This demo has no operator's view yet.",
    "Reset the demo from its dashboard: it starts over with a fleet of accounts and the operator's view.",
  ],
  invalid_controls: [
    "A spend control was refused.",
    "Amounts are in the account's currency, to the cent (100 or 1,250.50), alert percentages whole numbers from 1 to 100.",
  ],
};

/** Where an error shows: on the sign-in form nothing has synced yet, so nothing is kept. */
export type ErrorContext = "app" | "sign-in";

const SIGN_IN: Partial<Record<ErrorCode, [string, string]>> = {
  network: ["Could not reach the server.", "Check the address and that the server is running, then connect again. Nothing was saved."],
};

/** The entry of `table` for `code`, when the code is one of its keys. */
export function lookup<T>(table: Partial<Record<ErrorCode, T>>, code: string): T | undefined {
  return Object.hasOwn(table, code) ? table[code as ErrorCode] : undefined;
}

/** Whether `error` has the code `code`. */
export function hasCode(error: { code: string } | null | undefined, code: ErrorCode): boolean {
  return error?.code === code;
}

export function explain(error: CommandError, context: ErrorContext = "app"): Explained {
  const known = (context === "sign-in" ? lookup(SIGN_IN, error.code) : undefined) ?? lookup(EXPLANATIONS, error.code);
  if (known) return { code: error.code, what: known[0], todo: known[1], detail: error.message };
  return { code: error.code, what: "Something went wrong.", todo: "Try again. If it keeps happening, report the detail below.", detail: error.message };
}
