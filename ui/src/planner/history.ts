// Undo and redo as two stacks of edits. The Rust side answers every applied edit with the
// edit that undoes it, so undoing is applying the top of `undo`, and the answer to that is
// exactly what redo needs. No plan state is kept here.
import type { PlanEdit } from "../bindings/desktop/PlanEdit";

/** The most steps kept; older ones are dropped first. */
export const HISTORY_MAX = 500;

export class History {
  private undos: PlanEdit[] = [];
  private redos: PlanEdit[] = [];

  /**
   * Records a new edit by its inverse; a new edit makes the redo stack meaningless. An edit
   * that changed nothing (the Rust side says so) is no step: undoing it would do nothing.
   */
  record(inverse: PlanEdit, changed = true): void {
    if (!changed) return;
    this.undos.push(inverse);
    if (this.undos.length > HISTORY_MAX) this.undos.shift();
    this.redos = [];
  }

  get canUndo(): boolean {
    return this.undos.length > 0;
  }

  get canRedo(): boolean {
    return this.redos.length > 0;
  }

  /**
   * Undoes the last edit through `apply`, which applies an edit and answers its inverse.
   * When `apply` fails the step stays where it was, so nothing is lost.
   */
  async undo(apply: (edit: PlanEdit) => Promise<PlanEdit>): Promise<boolean> {
    const edit = this.undos.at(-1);
    if (!edit) return false;
    const inverse = await apply(edit);
    this.undos.pop();
    this.redos.push(inverse);
    return true;
  }

  async redo(apply: (edit: PlanEdit) => Promise<PlanEdit>): Promise<boolean> {
    const edit = this.redos.at(-1);
    if (!edit) return false;
    const inverse = await apply(edit);
    this.redos.pop();
    this.undos.push(inverse);
    return true;
  }

  clear(): void {
    this.undos = [];
    this.redos = [];
  }
}
