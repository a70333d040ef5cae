/**
 * Renders chat messages to one prompt string with a fixed Llama-3-style template before tokenising, as a
 * real server does. The point is prefix stability: a shared system prompt, or the earlier turns of a
 * conversation, render to the same leading text, so they become the same leading tokens and KV blocks. The
 * assistant header that opens the reply is the generation prompt, so a follow-up turn that includes the
 * reply extends exactly the tokens the previous request computed.
 */

/** A chat message as clients send it (OpenAI shape; only what the template needs). */
export interface ChatMessage {
  role: string;
  content?: string | ReadonlyArray<{ type?: string; text?: string }> | null;
  name?: string;
}

const BOS = '<|begin_of_text|>';

/** Text of a message's content: strings as-is, text parts joined, other parts as a placeholder. */
export function contentText(content: ChatMessage['content']): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part) => (typeof part.text === 'string' ? part.text : `<${part.type ?? 'part'}>`))
    .join('');
}

/**
 * The prompt for `messages`, ending with the assistant header. `tools`, when given, are rendered as JSON in
 * a leading system block, as Llama 3.1's template does, so they count as (shared) prompt tokens.
 */
export function renderChat(messages: readonly ChatMessage[], tools?: unknown): string {
  let out = BOS;
  if (tools !== undefined && tools !== null) {
    out += `<|start_header_id|>system<|end_header_id|>\n\nTools: ${JSON.stringify(tools)}<|eot_id|>`;
  }
  for (const m of messages) {
    out += `<|start_header_id|>${m.role}<|end_header_id|>\n\n${contentText(m.content)}<|eot_id|>`;
  }
  return `${out}<|start_header_id|>assistant<|end_header_id|>\n\n`;
}
