// Asking before unsaved plan edits are dropped: New, Open, a recent plan, leaving the planner,
// signing out and closing the window all go through `beforeDiscarding`, which asks save /
// discard / cancel through the one dialog the app shows (`UnsavedDialog.svelte`).

export type UnsavedChoice = "save" | "discard" | "cancel";

/** What the asking needs to know of the open plan (a `PlanSummary` fits). */
export interface OpenPlan {
  unsaved_edits: boolean;
  file_name: string | null;
}

/** The question on screen, if any: the plan's name and how to answer it. */
let question = $state<{ name: string; answer: (choice: UnsavedChoice) => void } | null>(null);

export const unsavedQuestion = {
  get current() {
    return question;
  },
};

/** Shows the dialog and resolves with the choice. A second question cancels the first. */
export function askUnsaved(name: string): Promise<UnsavedChoice> {
  return new Promise((resolve) => {
    question?.answer("cancel");
    question = {
      name,
      answer: (choice) => {
        question = null;
        resolve(choice);
      },
    };
  });
}

/** Answers the dialog on screen (no-op when there is none). */
export function answerUnsaved(choice: UnsavedChoice) {
  question?.answer(choice);
}

/**
 * Whether to go on with an action that drops the open plan's edits. With none, goes on at
 * once. Otherwise asks: Save goes on only once saved (`save` answers false when the person
 * cancelled choosing a file, or saving failed); Discard runs `discard` and goes on; Cancel stops.
 */
export async function beforeDiscarding(
  plan: OpenPlan | null,
  ask: (name: string) => Promise<UnsavedChoice>,
  save: () => Promise<boolean>,
  discard: () => Promise<void>,
): Promise<boolean> {
  if (!plan || !plan.unsaved_edits) return true;
  const choice = await ask(plan.file_name ?? "Untitled plan");
  if (choice === "cancel") return false;
  if (choice === "save") return await save();
  await discard();
  return true;
}
