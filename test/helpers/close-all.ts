/**
 * Closes what a test file started, one after another in the order given (pages' browser before
 * the servers they talk to, say); what never started (a beforeAll that failed half-way, or a
 * suite skipped for want of Chromium or Redis) is passed over.
 */
export async function closeAll(...things: Array<{ close(): unknown } | undefined>): Promise<void> {
  for (const thing of things) await thing?.close();
}
