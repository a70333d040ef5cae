/** `fulcrum sim` — placeholder until its issue lands. */
export async function run(_argv: string[]): Promise<number> {
  console.error('fulcrum sim: not implemented yet');
  return 1;
}
