// Chat templates: a tokenizer_config.json "chat_template" (Jinja) rendered as Hugging Face transformers
// renders it. transformers (src/transformers/utils/chat_template_utils.py, `_compile_jinja_template` and
// `render_jinja_template`) compiles the template in an ImmutableSandboxedEnvironment with trim_blocks,
// lstrip_blocks and the loopcontrols extension, overrides the `tojson` filter with json.dumps
// (ensure_ascii=False, so no HTML escaping), adds the globals `raise_exception` (raises a TemplateError) and
// `strftime_now`, and renders with messages, tools (None), documents (None), add_generation_prompt and the
// tokenizer's special tokens (bos_token, eos_token, …) plus the caller's extra keyword arguments.
// @huggingface/jinja (huggingface.js packages/jinja) is the JavaScript Jinja written to run exactly these
// templates: its Template applies trim_blocks and lstrip_blocks, drops one trailing newline like Jinja2's
// default keep_trailing_newline=False, supports break/continue, and its `tojson` follows json.dumps.

import { Environment, Interpreter, Template } from '@huggingface/jinja';

/** One chat message as chat templates read it (extra fields, e.g. tool_calls, are passed through). */
export interface ChatMessage {
  /** 'system', 'user', 'assistant', 'tool', … */
  role: string;
  /** The message text. */
  content: string;
}

/** Options of {@link applyChatTemplate}. */
export interface ChatTemplateOptions {
  /** Append the start of the assistant's turn (transformers' add_generation_prompt; default false). */
  addGenerationPrompt?: boolean;
  /** The tokenizer's BOS string, visible to the template as `bos_token`. */
  bosToken?: string;
  /** The tokenizer's EOS string, visible to the template as `eos_token`. */
  eosToken?: string;
  /** The template's own switches (Qwen3's enable_thinking, tools, …), as extra template variables. */
  variables?: Record<string, unknown>;
}

/** Why a chat template could not be rendered. */
export type ChatTemplateErrorCode = 'syntax' | 'raised' | 'render' | 'badInput';

/** A typed error of the chat-template core; the message is the template's own where it has one. */
export class ChatTemplateError extends Error {
  /** 'syntax': the template does not parse; 'raised': it called raise_exception; 'render': it failed while
   *  rendering; 'badInput': the messages or options are malformed. */
  readonly code: ChatTemplateErrorCode;

  constructor(code: ChatTemplateErrorCode, message: string) {
    super(message);
    this.name = 'ChatTemplateError';
    this.code = code;
  }
}

// Compiling is the costly part and one template renders many conversations: keep a few compiled ones.
const compiled = new Map<string, Template>();
const MAX_COMPILED = 16;

function compile(template: string): Template {
  const hit = compiled.get(template);
  if (hit) return hit;
  let parsed: Template;
  try {
    parsed = new Template(template);
  } catch (e) {
    throw new ChatTemplateError('syntax', `the chat template does not parse: ${errorMessage(e)}`);
  }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(template, parsed);
  return parsed;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Python's datetime.now().strftime(format) in the C locale, for the directives chat templates use. */
function strftimeNow(format: unknown): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return String(format).replace(/%[YmdHMSbBaAyIpj%]/g, (directive) => {
    switch (directive) {
      case '%Y': return String(d.getFullYear());
      case '%m': return pad(d.getMonth() + 1);
      case '%d': return pad(d.getDate());
      case '%H': return pad(d.getHours());
      case '%M': return pad(d.getMinutes());
      case '%S': return pad(d.getSeconds());
      case '%b': return MONTHS[d.getMonth()].slice(0, 3);
      case '%B': return MONTHS[d.getMonth()];
      case '%a': return DAYS[d.getDay()].slice(0, 3);
      case '%A': return DAYS[d.getDay()];
      case '%y': return pad(d.getFullYear() % 100);
      case '%I': return pad(d.getHours() % 12 === 0 ? 12 : d.getHours() % 12);
      case '%p': return d.getHours() < 12 ? 'AM' : 'PM';
      case '%j': return String(Math.floor((d.getTime() - new Date(d.getFullYear(), 0, 1).getTime()) / 86_400_000) + 1).padStart(3, '0');
      default: return '%';
    }
  });
}

/** Python's range(stop) / range(start, stop[, step]). */
function pythonRange(a: unknown, b?: unknown, c?: unknown): number[] {
  const [start, stop] = b === undefined ? [0, Number(a)] : [Number(a), Number(b)];
  const step = c === undefined ? 1 : Number(c);
  if (step === 0) throw new ChatTemplateError('render', 'range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/** The globals of Jinja2 and of transformers' environment (raise_exception is added per render). */
const GLOBALS: Record<string, unknown> = {
  true: true,
  false: false,
  none: null,
  True: true,
  False: false,
  None: null,
  range: pythonRange,
  strftime_now: strftimeNow,
};

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function checkMessages(messages: unknown): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) throw new ChatTemplateError('badInput', 'messages must be an array of { role, content }');
  messages.forEach((m: unknown, i) => {
    const r = m as Partial<Record<'role' | 'content', unknown>> | null;
    if (typeof r !== 'object' || r === null || typeof r.role !== 'string' || typeof r.content !== 'string') {
      throw new ChatTemplateError('badInput', `message ${i} must be an object with string "role" and "content"`);
    }
  });
}

/**
 * Renders a chat template (tokenizer_config.json's `chat_template`, or GGUF `tokenizer.chat_template`) over
 * `messages` exactly as transformers' apply_chat_template(tokenize=False) does. Throws ChatTemplateError
 * with the template's own message for a syntax error or a raise_exception call.
 */
export function applyChatTemplate(template: string, messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
  if (typeof template !== 'string') throw new ChatTemplateError('badInput', 'the chat template must be a string');
  checkMessages(messages);
  const variables = opts.variables ?? {};
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
    throw new ChatTemplateError('badInput', 'variables must be an object');
  }
  const program = compile(template);
  // Same names and precedence as transformers: the environment's globals, the special tokens, then the
  // caller's keyword arguments; messages, tools, documents and add_generation_prompt are set last by
  // render_jinja_template itself.
  const context: Record<string, unknown> = { ...GLOBALS };
  if (opts.bosToken !== undefined) context.bos_token = opts.bosToken;
  if (opts.eosToken !== undefined) context.eos_token = opts.eosToken;
  Object.assign(context, variables, {
    messages,
    tools: variables.tools ?? null,
    documents: variables.documents ?? null,
    add_generation_prompt: opts.addGenerationPrompt === true,
    // jinja2.exceptions.TemplateError(message) in transformers: the template's own text reaches the user.
    raise_exception: (message: unknown): never => {
      throw new ChatTemplateError('raised', String(message));
    },
  });
  try {
    // Template.render would declare the library's own raise_exception (a plain Error) first; rendering
    // through Environment and Interpreter lets the template's message arrive as a typed error.
    const env = new Environment();
    for (const [name, value] of Object.entries(context)) env.set(name, value);
    const result = new Interpreter(env).run(program.parsed);
    return String(result.value);
  } catch (e) {
    if (e instanceof ChatTemplateError) throw e;
    throw new ChatTemplateError('render', `the chat template failed: ${errorMessage(e)}`);
  }
}

/** The chat template and special-token strings of a tokenizer_config.json, as transformers reads them. */
export interface ChatTemplateConfig {
  /** The Jinja source. */
  template: string;
  /** `bos_token` (a string, or an AddedToken object's content), when set. */
  bosToken?: string;
  /** `eos_token`, when set. */
  eosToken?: string;
}

/** A special-token field of tokenizer_config.json: a string or an AddedToken `{ content }` object. */
function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * The chat template of a parsed tokenizer_config.json: `chat_template` is either the Jinja source or a list
 * of named templates (`[{ name, template }]`, transformers picks "default" unless told otherwise). Undefined
 * when the config has none.
 */
export function chatTemplateFromConfig(config: unknown, name = 'default'): ChatTemplateConfig | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const c = config as Record<string, unknown>;
  let template: string | undefined;
  if (typeof c.chat_template === 'string') template = c.chat_template;
  else if (Array.isArray(c.chat_template)) {
    const named = (c.chat_template as unknown[]).find(
      (t): t is { name: string; template: string } =>
        typeof t === 'object' && t !== null && (t as { name?: unknown }).name === name && typeof (t as { template?: unknown }).template === 'string',
    );
    template = named?.template;
  }
  if (template === undefined) return undefined;
  return { template, bosToken: tokenString(c.bos_token), eosToken: tokenString(c.eos_token) };
}
