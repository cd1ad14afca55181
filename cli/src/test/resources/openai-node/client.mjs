// Drives a Conclave server with the official openai Node.js client; prints one JSON object with what the
// client saw, which ServeOpenAiNodeClientTest checks. Usage:
//   node client.mjs chat  BASE_URL API_KEY MODEL   a streamed and a non-streamed greedy chat completion
//   node client.mjs tools BASE_URL API_KEY MODEL   a tool-call round trip, both turns streamed
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';

const [mode, baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });

/** Reassembles a streamed completion the way client code does: text deltas appended, tool calls by index. */
async function streamed(request) {
  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  const out = { content: '', reasoning: '', toolCalls: [], finish: null, usage: null, chunks: 0 };
  for await (const chunk of stream) {
    out.chunks++;
    if (chunk.usage) out.usage = chunk.usage;
    for (const choice of chunk.choices) {
      const delta = choice.delta;
      out.content += delta.content ?? '';
      out.reasoning += delta.reasoning_content ?? '';
      for (const call of delta.tool_calls ?? []) {
        const known = out.toolCalls[call.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } };
        if (call.id) known.id = call.id;
        if (call.function?.name) known.function.name += call.function.name;
        if (call.function?.arguments) known.function.arguments += call.function.arguments;
      }
      if (choice.finish_reason) out.finish = choice.finish_reason;
    }
  }
  return out;
}

async function chat() {
  const request = { model, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 24, temperature: 0 };
  const stream = await streamed(request);
  const whole = await client.chat.completions.create(request);
  const message = whole.choices[0].message;
  return {
    stream,
    whole: {
      content: message.content, reasoning: message.reasoning_content, toolCalls: message.tool_calls ?? [],
      finish: whole.choices[0].finish_reason, usage: whole.usage,
    },
  };
}

async function tools() {
  const tools = JSON.parse(readFileSync(new URL('./tools.json', import.meta.url)));
  const messages = [{ role: 'user', content: 'What is the weather in Paris for the next 3 days?' }];
  const first = await streamed({ model, messages, tools, temperature: 0 });
  // The arguments must be JSON the client can parse before it calls the tool.
  const calls = first.toolCalls.map(call => ({ ...call, parsed: JSON.parse(call.function.arguments) }));
  messages.push({ role: 'assistant', content: first.content || null, tool_calls: first.toolCalls });
  for (const call of calls) {
    messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify({ forecast: 'sunny', high_c: 21 }) });
  }
  const second = await streamed({ model, messages, tools, temperature: 0 });
  return { first: { ...first, toolCalls: calls }, second };
}

const result = mode === 'chat' ? await chat() : mode === 'tools' ? await tools() : null;
if (result === null) {
  console.error(`unknown mode '${mode}': chat or tools`);
  process.exit(2);
}
console.log(JSON.stringify(result));
