// The AI gateway driven by the official OpenAI SDK (npm "openai"), as a user would:
// base_url = <server>/api/v1, api_key = a userAk. Run by tests/api/test_gateway.py, which starts
// the server and a synthetic provider node and passes, in the environment:
//   CX_BASE_URL        http://127.0.0.1:<port>/api/v1
//   CX_USER_AK         a userAk with credits
//   CX_BROKE_USER_AK   a userAk whose credits are spent (402)
//   CX_LIMITED_USER_AK (optional) a userAk over its rate limit (429)
// Run alone: CX_BASE_URL=... CX_USER_AK=... node --test tests/ai/openai_sdk.test.mjs
import test from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.CX_BASE_URL;
const apiKey = process.env.CX_USER_AK;
assert.ok(baseURL && apiKey, 'CX_BASE_URL and CX_USER_AK are required');
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000 });

const words = 'hello gateway from the sdk';

async function expectError(promise, status, code) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected an APIError, got ${e}`);
    assert.equal(e.status, status, `status of ${e.message}`);
    if (code) assert.equal(e.code, code);
    assert.ok(e.headers.get('x-request-id'), 'x-request-id on an error');
    return e;
  }
  assert.fail(`expected HTTP ${status}`);
}

test('chat completion, non-streaming', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'synthetic-echo', messages: [{ role: 'user', content: words }] })
    .withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.choices[0].message.role, 'assistant');
  assert.equal(data.choices[0].message.content, `echo: ${words}`);
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.equal(data.usage.completion_tokens, 6);
  assert.ok(data.usage.prompt_tokens > 0);
  assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
  assert.ok(response.headers.get('x-request-id'));
});

test('max_tokens cuts the answer and says so', async () => {
  const r = await client.chat.completions.create({
    model: 'synthetic-echo',
    max_tokens: 2,
    messages: [{ role: 'user', content: words }],
  });
  assert.equal(r.choices[0].message.content, 'echo: hello');
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 2);
});

test('streaming with include_usage ends with a usage chunk and [DONE]', async () => {
  const stream = await client.chat.completions.create({
    model: 'synthetic-echo',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: words }],
  });
  let text = '';
  let usage = null;
  let finish = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) {
      assert.equal(chunk.choices.length, 0, 'the usage chunk has no choices');
      usage = chunk.usage;
      continue;
    }
    const c = chunk.choices[0];
    if (c.delta?.content) text += c.delta.content;
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.ok(chunks > 3);
  assert.equal(text, `echo: ${words}`);
  assert.equal(finish, 'stop');
  assert.ok(usage, 'a final usage chunk');
  assert.equal(usage.completion_tokens, 6);
});

test('streaming without include_usage sends no usage chunk', async () => {
  const stream = await client.chat.completions.create({
    model: 'synthetic-echo',
    stream: true,
    messages: [{ role: 'user', content: 'short one' }],
  });
  let text = '';
  for await (const chunk of stream) {
    assert.ok(!chunk.usage, 'no usage chunk unless asked for');
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.equal(text, 'echo: short one');
});

const tools = [
  {
    type: 'function',
    function: {
      name: 'lookup',
      description: 'looks a thing up',
      parameters: { type: 'object', properties: { echo: { type: 'string' } } },
    },
  },
];

test('tool calls pass through (non-streaming)', async () => {
  const r = await client.chat.completions.create({
    model: 'synthetic-echo',
    messages: [{ role: 'user', content: 'find this' }],
    tools,
    tool_choice: 'required',
  });
  const call = r.choices[0].message.tool_calls[0];
  assert.equal(r.choices[0].finish_reason, 'tool_calls');
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'lookup');
  assert.deepEqual(JSON.parse(call.function.arguments), { echo: 'find this' });
});

test('tool calls pass through (streaming)', async () => {
  const stream = await client.chat.completions.create({
    model: 'synthetic-echo',
    stream: true,
    messages: [{ role: 'user', content: 'find that' }],
    tools,
    tool_choice: { type: 'function', function: { name: 'lookup' } },
  });
  let name = '';
  let args = '';
  let finish = null;
  for await (const chunk of stream) {
    const c = chunk.choices[0];
    if (!c) continue;
    for (const tc of c.delta?.tool_calls ?? []) {
      if (tc.function?.name) name += tc.function.name;
      if (tc.function?.arguments) args += tc.function.arguments;
    }
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.equal(name, 'lookup');
  assert.deepEqual(JSON.parse(args), { echo: 'find that' });
  assert.equal(finish, 'tool_calls');
});

test('embeddings (the SDK asks for base64 and decodes it)', async () => {
  const r = await client.embeddings.create({ model: 'synthetic-embed', input: ['alpha', 'beta'] });
  assert.equal(r.object, 'list');
  assert.equal(r.data.length, 2);
  const [a, b] = r.data.map((d) => d.embedding);
  assert.equal(a.length, 16);
  const norm = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-3, `unit length, got ${norm}`);
  assert.notDeepEqual(a, b);
  const again = await client.embeddings.create({ model: 'synthetic-embed', input: 'alpha' });
  assert.deepEqual(again.data[0].embedding, a, 'deterministic');
  assert.ok(r.usage.prompt_tokens >= 2);
});

test('embeddings as floats with dimensions', async () => {
  const r = await client.embeddings.create({
    model: 'synthetic-embed',
    input: 'gamma',
    dimensions: 8,
    encoding_format: 'float',
  });
  assert.equal(r.data[0].embedding.length, 8);
});

test('models lists what healthy nodes serve', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes('synthetic-echo'), ids.join(','));
  assert.ok(ids.includes('synthetic-embed'), ids.join(','));
});

test('a wrong key is 401 invalid_api_key', async () => {
  const bad = new OpenAI({ baseURL, apiKey: 'cx_u_nope', maxRetries: 0 });
  await expectError(
    bad.chat.completions.create({ model: 'synthetic-echo', messages: [{ role: 'user', content: 'x' }] }),
    401,
    'invalid_api_key',
  );
});

test('a model no healthy node serves is 503', async () => {
  await expectError(
    client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    503,
    'no_healthy_node',
  );
});

test('a malformed request is 400 in the OpenAI shape', async () => {
  const e = await expectError(client.chat.completions.create({ model: 'synthetic-echo', messages: [] }), 400);
  assert.equal(e.type, 'invalid_request_error');
  assert.equal(e.param, 'messages');
});

test('without credits: 402 insufficient_quota, x-should-retry false', async () => {
  const broke = new OpenAI({ baseURL, apiKey: process.env.CX_BROKE_USER_AK, maxRetries: 0 });
  const e = await expectError(
    broke.chat.completions.create({ model: 'synthetic-echo', messages: [{ role: 'user', content: 'x' }] }),
    402,
    'insufficient_quota',
  );
  assert.equal(e.headers.get('x-should-retry'), 'false');
});

test('over the rate limit: 429 with retry-after', { skip: !process.env.CX_LIMITED_USER_AK }, async () => {
  const limited = new OpenAI({ baseURL, apiKey: process.env.CX_LIMITED_USER_AK, maxRetries: 0 });
  let e = null;
  for (let i = 0; i < 50 && !e; i++) {
    try {
      await limited.embeddings.create({ model: 'synthetic-embed', input: 'x' });
    } catch (err) {
      e = err;
    }
  }
  assert.ok(e, 'the limit was reached within 50 requests');
  assert.equal(e.status, 429);
  assert.equal(e.code, 'rate_limit_exceeded');
  assert.ok(Number(e.headers.get('retry-after')) >= 1);
});
