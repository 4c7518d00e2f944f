/**
 * Admission of large answers (history pages): a history request is small, its answer up to
 * `limits.maxHistoryAnswerBytes`, so a few hundred connections asking at once make the server
 * build hundreds of megabytes in one turn of the event loop, before any output budget can look
 * at what is queued (server/socket/output-budget.ts measures once per turn, after the writes).
 *
 * An answer is admitted while what the output budget counts as queued, plus the answers
 * admitted since the last turn, stays within `budget` (the total output budget), and the answers
 * of one turn within a quarter of it (each answer is held two or three times over while it is
 * encoded and written, so a burst costs more than its bytes). Otherwise it is
 * refused as RATE_LIMITED: the SDK, /debug and im-debug tail retry a refused history read.
 * One answer is always admitted when nothing else is pending, so a reader always moves on.
 */
export interface AnswerAdmission {
  admit(bytes: number): boolean;
}

export function createAnswerAdmission(opts: { budget: number; queued: () => number; onRefuse?: () => void }): AnswerAdmission {
  let thisTurn = 0;
  let resetArmed = false;
  const reset = () => {
    thisTurn = 0;
    resetArmed = false;
  };
  return {
    admit(bytes) {
      if (opts.budget <= 0) return true;
      const pending = opts.queued() + thisTurn;
      if (pending > 0 && (pending + bytes > opts.budget || (thisTurn > 0 && thisTurn + bytes > opts.budget / 4))) {
        opts.onRefuse?.();
        return false;
      }
      thisTurn += bytes;
      if (!resetArmed) {
        resetArmed = true;
        setImmediate(reset);
      }
      return true;
    },
  };
}
