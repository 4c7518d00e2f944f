import type { PartContext, PartOutput } from '../lib/part';

export async function viewerPart(_ctx: PartContext): Promise<PartOutput> {
  return { title: 'viewer', pending: 'not written yet', tables: [], targets: [], notes: [] };
}
