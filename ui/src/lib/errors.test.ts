import { describe, expect, it } from "vitest";
import { toCommandError } from "./backend";
import { explain } from "./errors";

describe("errors for people", () => {
  it("says what happened and what to do for a missing keyring, and never suggests a file", () => {
    const e = explain({ code: "keyring_unavailable", message: "no secret service" });
    expect(e.what).toMatch(/keyring/);
    expect(e.todo).toMatch(/Unlock or install/);
    expect(e.detail).toBe("no secret service");
  });
  it("tells a network failure apart from a rejected token", () => {
    expect(explain({ code: "network", message: "" }).what).toMatch(/Could not reach/);
    // On the sign-in form nothing has synced yet, so it never speaks of kept data.
    const signIn = explain({ code: "network", message: "" }, "sign-in");
    expect(signIn.todo).toContain("the server is running");
    expect(signIn.todo).not.toContain("last synced");
    expect(explain({ code: "unauthorized", message: "" }).what).toMatch(/token was rejected/);
    expect(explain({ code: "unauthorized", message: "" }).todo).toMatch(/Enter a new token/);
  });
  it("says a wrong address is no edgecost server rather than a server problem", () => {
    expect(explain({ code: "no_server", message: "" }).what).toBe("No edgecost server at this address.");
    expect(explain({ code: "bad_server_url", message: "" }).todo).toMatch(/127\.0\.0\.1:8080 \(http/);
  });
  it("falls back to the message for codes it does not know", () => {
    const e = explain({ code: "brand_new", message: "detail here" });
    expect(e.what).toBe("Something went wrong.");
    expect(e.detail).toBe("detail here");
  });
  it("turns whatever invoke rejects with into {code, message}", () => {
    expect(toCommandError({ code: "network", message: "down" })).toEqual({ code: "network", message: "down" });
    expect(toCommandError("plain string")).toEqual({ code: "internal", message: "plain string" });
    expect(toCommandError(new Error("boom"))).toEqual({ code: "internal", message: "boom" });
  });
});
