/** `fulcrum validate` — placeholder until its issue lands. */
export async function run(_argv: string[]): Promise<number> {
  console.error('fulcrum validate: not implemented yet');
  return 1;
}
