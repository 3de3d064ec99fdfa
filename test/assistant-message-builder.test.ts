/**
 * The shared message builder's open text/thinking block: its deltas are kept
 * as pieces behind an accessor until the block closes. Copies of an open
 * block, however they are made, must read the text and never reach back into
 * the streaming message.
 */
import { describe, expect, it } from "vitest";
import { AssistantMessageBuilder } from "../adapters/assistant-message-builder.js";
import type { AssistantMessageEvent, TextContent, ThinkingContent } from "../src/core/types.js";

function make() {
  const events: AssistantMessageEvent[] = [];
  const builder = new AssistantMessageBuilder({ api: "test", provider: "test", model: "m" }, (event) => events.push(event));
  return { builder, events };
}

/** A copy made from the block's own property descriptors, as some clone helpers do. */
function descriptorCopy<T extends object>(value: T): T {
  return Object.defineProperties({}, Object.getOwnPropertyDescriptors(value)) as T;
}

describe("AssistantMessageBuilder: the open block", () => {
  it("a copy made from an open text block's property descriptors reads its text", () => {
    const { builder } = make();
    builder.text("Hel");
    builder.text("lo");
    const block = builder.message.content[0] as TextContent;
    const copy = descriptorCopy(block);
    expect(copy.text).toBe("Hello");
    expect(copy).toEqual({ type: "text", text: "Hello" });
    expect(JSON.stringify(copy)).toBe('{"type":"text","text":"Hello"}');
    // Later deltas and the close leave the copy readable, with the block's text.
    builder.text(", world");
    expect(copy.text).toBe("Hello, world");
    builder.finish("stop");
    expect(block.text).toBe("Hello, world");
    expect(copy.text).toBe("Hello, world");
  });

  it("a copy of an open thinking block reads its text; writing to the copy leaves the streaming block alone", () => {
    const { builder, events } = make();
    builder.thinking("Let me ");
    const block = builder.message.content[0] as ThinkingContent;
    const copy = descriptorCopy(block);
    copy.thinking = "edited";
    expect(copy.thinking).toBe("edited");
    builder.thinking("think.");
    expect(block.thinking).toBe("Let me think.");
    expect(copy.thinking).toBe("edited");
    builder.text("Done.");
    expect(events.find((event) => event.type === "thinking_end")).toMatchObject({ content: "Let me think." });
  });

  it("other copies of an open block (spread, structuredClone, a copy of the whole message) read its text", () => {
    const { builder } = make();
    builder.text("a");
    builder.text("b");
    const block = builder.message.content[0] as TextContent;
    expect({ ...block }).toEqual({ type: "text", text: "ab" });
    expect(structuredClone(block)).toEqual({ type: "text", text: "ab" });
    expect(descriptorCopy(builder.message).content[0]).toBe(block);
    expect(Object.keys(block)).toEqual(["type", "text"]);
  });

  it("a long block (batches of pieces joined as it grows) reads whole at every point", () => {
    const { builder, events } = make();
    let expected = "";
    for (let i = 0; i < 1_000; i++) {
      const delta = `${i % 10}`;
      builder.text(delta);
      expected += delta;
      if (i % 97 === 0) expect((builder.message.content[0] as TextContent).text).toBe(expected);
    }
    builder.finish("stop");
    expect((builder.message.content[0] as TextContent).text).toBe(expected);
    expect(events.find((event) => event.type === "text_end")).toMatchObject({ content: expected });
  });

  it("a closed block is plain data: the text a data property, no hidden state left", () => {
    const { builder } = make();
    builder.text("x");
    builder.text("y");
    builder.finish("stop");
    const block = builder.message.content[0] as TextContent;
    expect(Object.getOwnPropertyDescriptor(block, "text")).toEqual({ value: "xy", writable: true, enumerable: true, configurable: true });
    expect(Reflect.ownKeys(block)).toEqual(["type", "text"]);
    block.text = "z";
    expect(block.text).toBe("z");
  });

  it("the streaming block's own text can be set while open; later deltas append to it", () => {
    const { builder, events } = make();
    builder.text("draft");
    const block = builder.message.content[0] as TextContent;
    block.text = "kept ";
    builder.text("more");
    builder.finish("stop");
    expect(block.text).toBe("kept more");
    expect(events.find((event) => event.type === "text_end")).toMatchObject({ content: "kept more" });
  });
});

describe("AssistantMessageBuilder: tool-call argument deltas", () => {
  it("toolCallArguments appends to the call of its key, interleaved keys included, and opens a call it has not seen", () => {
    const { builder, events } = make();
    builder.toolCall("a", { id: "call_a", name: "write" });
    builder.toolCall("b", { id: "call_b", name: "read" });
    for (const [key, delta] of [
      ["a", '{"x"'],
      ["a", ":1"],
      ["b", '{"y":'],
      ["a", "}"],
      ["b", "2}"],
      ["c", '{"z":3}'],
    ] as const)
      builder.toolCallArguments(key, delta);
    builder.toolCallArguments("a", "");
    builder.finish("toolUse");
    expect(builder.message.content).toEqual([
      { type: "toolCall", id: "call_a", name: "write", arguments: { x: 1 } },
      { type: "toolCall", id: "call_b", name: "read", arguments: { y: 2 } },
      { type: "toolCall", id: "", name: "", arguments: { z: 3 } },
    ]);
    expect(
      events.filter((event) => event.type === "toolcall_delta").map((event) => event.type === "toolcall_delta" && [event.contentIndex, event.delta]),
    ).toEqual([
      [0, '{"x"'],
      [0, ":1"],
      [1, '{"y":'],
      [0, "}"],
      [1, "2}"],
      [2, '{"z":3}'],
    ]);
  });

  it("a key whose call ended opens a new call on its next delta", () => {
    const { builder } = make();
    builder.toolCallArguments(0, '{"n":1}');
    builder.endToolCall(0);
    builder.toolCallArguments(0, '{"n":2}');
    builder.finish("toolUse");
    expect(builder.message.content.map((block) => block.type === "toolCall" && block.arguments)).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
