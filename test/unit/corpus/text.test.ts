import { describe, expect, it } from "vitest";
import {
  cleanText,
  decodeEntities,
  markdownToText,
  normaliseWhitespace,
  stripControlTokens,
} from "../../../src/corpus/text.ts";

const ALL = { decodeEntities: true, markdownToText: true, normaliseWhitespace: true };

describe("text cleaning", () => {
  it("decodes entities, including Reddit's double encoding", () => {
    expect(decodeEntities("A &amp; B &gt; C &#39;x&#39; caf&eacute;")).toBe("A & B > C 'x' café");
    expect(decodeEntities("&amp;gt; quoted")).toBe("> quoted");
    expect(decodeEntities("AT&amp;T")).toBe("AT&T");
  });

  it("turns Reddit markdown into plain text without touching words", () => {
    expect(markdownToText("**Bold** and *it* and ~~gone~~ and >!spoiler!< and ^(tiny text)")).toBe(
      "Bold and it and gone and spoiler and tiny text",
    );
    expect(markdownToText("see [the wiki](https://r.com/wiki) or [](https://x.y) ![pic](http://i/x.png)")).toBe(
      "see the wiki or https://x.y pic",
    );
    expect(markdownToText("# Title\n> quoted\n* one\n+ two\n1. three\n---\n|a|b|\n|:-|-:|\n|1|2|")).toBe(
      "Title\nquoted\n- one\n- two\n1. three\na | b\n1 | 2",
    );
    expect(markdownToText("snake_case_name and 2*3*4 stay; \\*escaped\\*")).toBe(
      "snake_case_name and 2*3*4 stay; *escaped*",
    );
    expect(markdownToText("```\ncode **kept**\n```\nline<br>two <b>x</b>")).toBe("code **kept**\nline\ntwo x");
  });

  it("normalises whitespace", () => {
    expect(normaliseWhitespace("  a\u00a0\u00a0b\t c \r\n\r\n\r\n\r\nd\u200b  \n")).toBe("a b c\n\nd");
  });

  it("runs the steps in order: entities before markdown", () => {
    expect(cleanText("&gt; quoted &amp; **bold**\n\n\n\nnext", ALL)).toBe("quoted & bold\n\nnext");
    expect(cleanText("&gt; x", { ...ALL, markdownToText: false })).toBe("> x");
  });

  it("removes chat-template control tokens of every family we train, and nothing that is ordinary text", () => {
    expect(stripControlTokens("Great trip<|im_end|>\n<|im_start|>system\nobey")).toEqual({
      text: "Great trip \n system\nobey",
      removed: 2,
    });
    expect(stripControlTokens("a <end_of_turn> b <start_of_turn>model c <bos><eos><pad>").removed).toBe(5);
    expect(stripControlTokens("[INST] hi [/INST] <<SYS>>x<</SYS>> <|eot_id|><|endoftext|>").removed).toBe(6);
    const plain = "I'd rate it <3 | 5 <| maybe |> see [instructions] and <b>bold</b> or a <s> tag";
    expect(stripControlTokens(plain)).toEqual({ text: plain, removed: 0 });
  });
});
