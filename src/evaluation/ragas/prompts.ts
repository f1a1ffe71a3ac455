/**
 * The Ragas prompts, verbatim from ragas 0.4.3 (https://github.com/explodinggradients/ragas, Apache-2.0,
 * Copyright [2023] [Exploding Gradients]): instruction, output JSON schema and few-shot examples of each
 * legacy metric's `PydanticPrompt`, and `PydanticPrompt.to_string` (ragas/prompt/pydantic_prompt.py), the
 * way ragas renders them into the one user message it sends. Only the TypeScript rendering is ours.
 *
 * `outputSchema` is the exact text ragas inserts: Python's `json.dumps(output_model.model_json_schema())`
 * (pydantic 2). Examples and the input are rendered as pydantic's `model_dump_json(indent=4)`, which
 * `JSON.stringify(value, null, 4)` reproduces byte for byte for these models (string and integer fields,
 * keys in declaration order, non-ASCII left unescaped, control characters as \n / \u00XX).
 * test/unit/evaluation/ragas/parity.test.ts checks every prompt against the text ragas itself produced
 * (test/fixtures/ragas/, from scripts/fixtures/ragas_fixtures.py).
 */

/** One ragas `PydanticPrompt`: what `to_string` needs. Field order of the objects matters. */
export interface RagasPrompt {
  /** Python class name and source file, for messages. */
  readonly name: string;
  readonly instruction: string;
  /** `json.dumps(OutputModel.model_json_schema())`, verbatim. */
  readonly outputSchema: string;
  /** Few-shot examples: [input, output] objects with keys in the pydantic models' field order. */
  readonly examples: ReadonlyArray<readonly [object, object]>;
}

/** ragas `PydanticPrompt.to_string(data)`: the whole prompt text for `input` (keys in model field order). */
export function renderRagasPrompt(p: RagasPrompt, input: object): string {
  return `${p.instruction}\n${outputSignature(p)}\n${examplesBlock(p)}\n-----------------------------\n\nNow perform the same with the following input\ninput: ${JSON.stringify(input, null, 4)}\nOutput: `;
}

/** ragas `_generate_output_signature` (note the missing newline and space ragas has before "Do not"). */
function outputSignature(p: RagasPrompt): string {
  return `Please return the output in a JSON format that complies with the following schema as specified in JSON Schema:\n${p.outputSchema}Do not use single quotes in your response but double quotes,properly escaped with a backslash.`;
}

/** ragas `_generate_examples`. */
function examplesBlock(p: RagasPrompt): string {
  if (p.examples.length === 0) return "";
  return `\n--------EXAMPLES-----------\n${p.examples
    .map(([i, o], k) => `Example ${k + 1}\nInput: ${JSON.stringify(i, null, 4)}\nOutput: ${JSON.stringify(o, null, 4)}`)
    .join("\n\n")}`;
}

/** ragas 0.4.3 `StatementGeneratorPrompt` (ragas/metrics/_faithfulness.py). */
export const STATEMENT_GENERATOR_PROMPT: RagasPrompt = {
  name: "StatementGeneratorPrompt (ragas/metrics/_faithfulness.py)",
  instruction:
    "Given a question and an answer, analyze the complexity of each sentence in the answer. Break down each sentence into one or more fully understandable statements. Ensure that no pronouns are used in any statement. Format the outputs in JSON.",
  outputSchema:
    '{"properties": {"statements": {"description": "The generated statements", "items": {"type": "string"}, "title": "Statements", "type": "array"}}, "required": ["statements"], "title": "StatementGeneratorOutput", "type": "object"}',
  examples: [
    [
      {
        question: "Who was Albert Einstein and what is he best known for?",
        answer:
          "He was a German-born theoretical physicist, widely acknowledged to be one of the greatest and most influential physicists of all time. He was best known for developing the theory of relativity, he also made important contributions to the development of the theory of quantum mechanics.",
      },
      {
        statements: [
          "Albert Einstein was a German-born theoretical physicist.",
          "Albert Einstein is recognized as one of the greatest and most influential physicists of all time.",
          "Albert Einstein was best known for developing the theory of relativity.",
          "Albert Einstein also made important contributions to the development of the theory of quantum mechanics.",
        ],
      },
    ],
  ],
};

/** ragas 0.4.3 `NLIStatementPrompt` (ragas/metrics/_faithfulness.py). */
export const NLI_STATEMENT_PROMPT: RagasPrompt = {
  name: "NLIStatementPrompt (ragas/metrics/_faithfulness.py)",
  instruction:
    "Your task is to judge the faithfulness of a series of statements based on a given context. For each statement you must return verdict as 1 if the statement can be directly inferred based on the context or 0 if the statement can not be directly inferred based on the context.",
  outputSchema:
    '{"$defs": {"StatementFaithfulnessAnswer": {"properties": {"statement": {"description": "the original statement, word-by-word", "title": "Statement", "type": "string"}, "reason": {"description": "the reason of the verdict", "title": "Reason", "type": "string"}, "verdict": {"description": "the verdict(0/1) of the faithfulness.", "title": "Verdict", "type": "integer"}}, "required": ["statement", "reason", "verdict"], "title": "StatementFaithfulnessAnswer", "type": "object"}}, "properties": {"statements": {"items": {"$ref": "#/$defs/StatementFaithfulnessAnswer"}, "title": "Statements", "type": "array"}}, "required": ["statements"], "title": "NLIStatementOutput", "type": "object"}',
  examples: [
    [
      {
        context:
          "John is a student at XYZ University. He is pursuing a degree in Computer Science. He is enrolled in several courses this semester, including Data Structures, Algorithms, and Database Management. John is a diligent student and spends a significant amount of time studying and completing assignments. He often stays late in the library to work on his projects.",
        statements: [
          "John is majoring in Biology.",
          "John is taking a course on Artificial Intelligence.",
          "John is a dedicated student.",
          "John has a part-time job.",
        ],
      },
      {
        statements: [
          {
            statement: "John is majoring in Biology.",
            reason:
              "John's major is explicitly mentioned as Computer Science. There is no information suggesting he is majoring in Biology.",
            verdict: 0,
          },
          {
            statement: "John is taking a course on Artificial Intelligence.",
            reason:
              "The context mentions the courses John is currently enrolled in, and Artificial Intelligence is not mentioned. Therefore, it cannot be deduced that John is taking a course on AI.",
            verdict: 0,
          },
          {
            statement: "John is a dedicated student.",
            reason:
              "The context states that he spends a significant amount of time studying and completing assignments. Additionally, it mentions that he often stays late in the library to work on his projects, which implies dedication.",
            verdict: 1,
          },
          {
            statement: "John has a part-time job.",
            reason: "There is no information given in the context about John having a part-time job.",
            verdict: 0,
          },
        ],
      },
    ],
    [
      {
        context:
          "Photosynthesis is a process used by plants, algae, and certain bacteria to convert light energy into chemical energy.",
        statements: ["Albert Einstein was a genius."],
      },
      {
        statements: [
          {
            statement: "Albert Einstein was a genius.",
            reason: "The context and statement are unrelated",
            verdict: 0,
          },
        ],
      },
    ],
  ],
};

/** ragas 0.4.3 `ResponseRelevancePrompt` (ragas/metrics/_answer_relevance.py). */
export const RESPONSE_RELEVANCE_PROMPT: RagasPrompt = {
  name: "ResponseRelevancePrompt (ragas/metrics/_answer_relevance.py)",
  instruction:
    'Generate a question for the given answer and Identify if answer is noncommittal. Give noncommittal as 1 if the answer is noncommittal and 0 if the answer is committal. A noncommittal answer is one that is evasive, vague, or ambiguous. For example, "I don\'t know" or "I\'m not sure" are noncommittal answers',
  outputSchema:
    '{"properties": {"question": {"title": "Question", "type": "string"}, "noncommittal": {"title": "Noncommittal", "type": "integer"}}, "required": ["question", "noncommittal"], "title": "ResponseRelevanceOutput", "type": "object"}',
  examples: [
    [
      {
        response: "Albert Einstein was born in Germany.",
      },
      {
        question: "Where was Albert Einstein born?",
        noncommittal: 0,
      },
    ],
    [
      {
        response:
          "I don't know about the  groundbreaking feature of the smartphone invented in 2023 as am unaware of information beyond 2022. ",
      },
      {
        question: "What was the groundbreaking feature of the smartphone invented in 2023?",
        noncommittal: 1,
      },
    ],
  ],
};

/** ragas 0.4.3 `ContextPrecisionPrompt` (ragas/metrics/_context_precision.py). */
export const CONTEXT_PRECISION_PROMPT: RagasPrompt = {
  name: "ContextPrecisionPrompt (ragas/metrics/_context_precision.py)",
  instruction:
    'Given question, answer and context verify if the context was useful in arriving at the given answer. Give verdict as "1" if useful and "0" if not with json output.',
  outputSchema:
    '{"properties": {"reason": {"description": "Reason for verification", "title": "Reason", "type": "string"}, "verdict": {"description": "Binary (0/1) verdict of verification", "title": "Verdict", "type": "integer"}}, "required": ["reason", "verdict"], "title": "Verification", "type": "object"}',
  examples: [
    [
      {
        question: "What can you tell me about Albert Einstein?",
        context:
          "Albert Einstein (14 March 1879 – 18 April 1955) was a German-born theoretical physicist, widely held to be one of the greatest and most influential scientists of all time. Best known for developing the theory of relativity, he also made important contributions to quantum mechanics, and was thus a central figure in the revolutionary reshaping of the scientific understanding of nature that modern physics accomplished in the first decades of the twentieth century. His mass–energy equivalence formula E = mc2, which arises from relativity theory, has been called 'the world's most famous equation'. He received the 1921 Nobel Prize in Physics 'for his services to theoretical physics, and especially for his discovery of the law of the photoelectric effect', a pivotal step in the development of quantum theory. His work is also known for its influence on the philosophy of science. In a 1999 poll of 130 leading physicists worldwide by the British journal Physics World, Einstein was ranked the greatest physicist of all time. His intellectual achievements and originality have made Einstein synonymous with genius.",
        answer:
          "Albert Einstein, born on 14 March 1879, was a German-born theoretical physicist, widely held to be one of the greatest and most influential scientists of all time. He received the 1921 Nobel Prize in Physics for his services to theoretical physics.",
      },
      {
        reason:
          "The provided context was indeed useful in arriving at the given answer. The context includes key information about Albert Einstein's life and contributions, which are reflected in the answer.",
        verdict: 1,
      },
    ],
    [
      {
        question: "who won 2020 icc world cup?",
        context:
          "The 2022 ICC Men's T20 World Cup, held from October 16 to November 13, 2022, in Australia, was the eighth edition of the tournament. Originally scheduled for 2020, it was postponed due to the COVID-19 pandemic. England emerged victorious, defeating Pakistan by five wickets in the final to clinch their second ICC Men's T20 World Cup title.",
        answer: "England",
      },
      {
        reason:
          "the context was useful in clarifying the situation regarding the 2020 ICC World Cup and indicating that England was the winner of the tournament that was intended to be held in 2020 but actually took place in 2022.",
        verdict: 1,
      },
    ],
    [
      {
        question: "What is the tallest mountain in the world?",
        context:
          "The Andes is the longest continental mountain range in the world, located in South America. It stretches across seven countries and features many of the highest peaks in the Western Hemisphere. The range is known for its diverse ecosystems, including the high-altitude Andean Plateau and the Amazon rainforest.",
        answer: "Mount Everest.",
      },
      {
        reason:
          "the provided context discusses the Andes mountain range, which, while impressive, does not include Mount Everest or directly relate to the question about the world's tallest mountain.",
        verdict: 0,
      },
    ],
  ],
};

/** ragas 0.4.3 `ContextRecallClassificationPrompt` (ragas/metrics/_context_recall.py). */
export const CONTEXT_RECALL_CLASSIFICATION_PROMPT: RagasPrompt = {
  name: "ContextRecallClassificationPrompt (ragas/metrics/_context_recall.py)",
  instruction:
    "Given a context, and an answer, analyze each sentence in the answer and classify if the sentence can be attributed to the given context or not. Use only 'Yes' (1) or 'No' (0) as a binary classification. Output json with reason.",
  outputSchema:
    '{"$defs": {"ContextRecallClassification": {"properties": {"statement": {"title": "Statement", "type": "string"}, "reason": {"title": "Reason", "type": "string"}, "attributed": {"title": "Attributed", "type": "integer"}}, "required": ["statement", "reason", "attributed"], "title": "ContextRecallClassification", "type": "object"}}, "properties": {"classifications": {"items": {"$ref": "#/$defs/ContextRecallClassification"}, "title": "Classifications", "type": "array"}}, "required": ["classifications"], "title": "ContextRecallClassifications", "type": "object"}',
  examples: [
    [
      {
        question: "What can you tell me about albert Albert Einstein?",
        context:
          "Albert Einstein (14 March 1879 - 18 April 1955) was a German-born theoretical physicist, widely held to be one of the greatest and most influential scientists of all time. Best known for developing the theory of relativity, he also made important contributions to quantum mechanics, and was thus a central figure in the revolutionary reshaping of the scientific understanding of nature that modern physics accomplished in the first decades of the twentieth century. His mass-energy equivalence formula E = mc2, which arises from relativity theory, has been called 'the world's most famous equation'. He received the 1921 Nobel Prize in Physics 'for his services to theoretical physics, and especially for his discovery of the law of the photoelectric effect', a pivotal step in the development of quantum theory. His work is also known for its influence on the philosophy of science. In a 1999 poll of 130 leading physicists worldwide by the British journal Physics World, Einstein was ranked the greatest physicist of all time. His intellectual achievements and originality have made Einstein synonymous with genius.",
        answer:
          "Albert Einstein, born on 14 March 1879, was a German-born theoretical physicist, widely held to be one of the greatest and most influential scientists of all time. He received the 1921 Nobel Prize in Physics for his services to theoretical physics. He published 4 papers in 1905. Einstein moved to Switzerland in 1895.",
      },
      {
        classifications: [
          {
            statement:
              "Albert Einstein, born on 14 March 1879, was a German-born theoretical physicist, widely held to be one of the greatest and most influential scientists of all time.",
            reason: "The date of birth of Einstein is mentioned clearly in the context.",
            attributed: 1,
          },
          {
            statement: "He received the 1921 Nobel Prize in Physics for his services to theoretical physics.",
            reason: "The exact sentence is present in the given context.",
            attributed: 1,
          },
          {
            statement: "He published 4 papers in 1905.",
            reason: "There is no mention about papers he wrote in the given context.",
            attributed: 0,
          },
          {
            statement: "Einstein moved to Switzerland in 1895.",
            reason: "There is no supporting evidence for this in the given context.",
            attributed: 0,
          },
        ],
      },
    ],
  ],
};

/** ragas 0.4.3 `CorrectnessClassifier` (ragas/metrics/_answer_correctness.py). */
export const CORRECTNESS_CLASSIFIER_PROMPT: RagasPrompt = {
  name: "CorrectnessClassifier (ragas/metrics/_answer_correctness.py)",
  instruction:
    "Given a ground truth and an answer statements, analyze each statement and classify them in one of the following categories: TP (true positive): statements that are present in answer that are also directly supported by the one or more statements in ground truth, FP (false positive): statements present in the answer but not directly supported by any statement in ground truth, FN (false negative): statements found in the ground truth but not present in answer. Each statement can only belong to one of the categories. Provide a reason for each classification.",
  outputSchema:
    '{"$defs": {"StatementsWithReason": {"properties": {"statement": {"title": "Statement", "type": "string"}, "reason": {"title": "Reason", "type": "string"}}, "required": ["statement", "reason"], "title": "StatementsWithReason", "type": "object"}}, "properties": {"TP": {"items": {"$ref": "#/$defs/StatementsWithReason"}, "title": "Tp", "type": "array"}, "FP": {"items": {"$ref": "#/$defs/StatementsWithReason"}, "title": "Fp", "type": "array"}, "FN": {"items": {"$ref": "#/$defs/StatementsWithReason"}, "title": "Fn", "type": "array"}}, "required": ["TP", "FP", "FN"], "title": "ClassificationWithReason", "type": "object"}',
  examples: [
    [
      {
        question: "What powers the sun and what is its primary function?",
        answer: [
          "The sun is powered by nuclear fission, similar to nuclear reactors on Earth.",
          "The primary function of the sun is to provide light to the solar system.",
        ],
        ground_truth: [
          "The sun is powered by nuclear fusion, where hydrogen atoms fuse to form helium.",
          "This fusion process in the sun's core releases a tremendous amount of energy.",
          "The energy from the sun provides heat and light, which are essential for life on Earth.",
          "The sun's light plays a critical role in Earth's climate system.",
          "Sunlight helps to drive the weather and ocean currents.",
        ],
      },
      {
        TP: [
          {
            statement: "The primary function of the sun is to provide light to the solar system.",
            reason:
              "This statement is somewhat supported by the ground truth mentioning the sun providing light and its roles, though it focuses more broadly on the sun's energy.",
          },
        ],
        FP: [
          {
            statement: "The sun is powered by nuclear fission, similar to nuclear reactors on Earth.",
            reason:
              "This statement is incorrect and contradicts the ground truth which states that the sun is powered by nuclear fusion.",
          },
        ],
        FN: [
          {
            statement: "The sun is powered by nuclear fusion, where hydrogen atoms fuse to form helium.",
            reason: "This accurate description of the sun’s power source is not included in the answer.",
          },
          {
            statement: "This fusion process in the sun's core releases a tremendous amount of energy.",
            reason: "This process and its significance are not mentioned in the answer.",
          },
          {
            statement: "The energy from the sun provides heat and light, which are essential for life on Earth.",
            reason:
              "The answer only mentions light, omitting the essential aspects of heat and its necessity for life, which the ground truth covers.",
          },
          {
            statement: "The sun's light plays a critical role in Earth's climate system.",
            reason: "This broader impact of the sun’s light on Earth's climate system is not addressed in the answer.",
          },
          {
            statement: "Sunlight helps to drive the weather and ocean currents.",
            reason: "The effect of sunlight on weather patterns and ocean currents is omitted in the answer.",
          },
        ],
      },
    ],
    [
      {
        question: "What is the boiling point of water?",
        answer: ["The boiling point of water is 100 degrees Celsius at sea level"],
        ground_truth: [
          "The boiling point of water is 100 degrees Celsius (212 degrees Fahrenheit) at sea level.",
          "The boiling point of water can change with altitude.",
        ],
      },
      {
        TP: [
          {
            statement: "The boiling point of water is 100 degrees Celsius at sea level",
            reason:
              "This statement is directly supported by the ground truth which specifies the boiling point of water as 100 degrees Celsius at sea level.",
          },
        ],
        FP: [],
        FN: [
          {
            statement: "The boiling point of water can change with altitude.",
            reason:
              "This additional information about how the boiling point of water can vary with altitude is not mentioned in the answer.",
          },
        ],
      },
    ],
  ],
};

/**
 * ragas 0.4.3 `FixOutputFormat` (ragas/prompt/pydantic_prompt.py): what `RagasOutputParser` sends when a
 * reply does not parse. Input `OutputStringAndPrompt` {output_string, prompt_value}: the unparseable reply
 * and the whole prompt it answered; output `StringIO` {text}: the fixed reply.
 */
export const FIX_OUTPUT_FORMAT_PROMPT: RagasPrompt = {
  name: "FixOutputFormat (ragas/prompt/pydantic_prompt.py)",
  instruction:
    "The output string did not satisfy the constraints given in the prompt. Fix the output string and return it.",
  outputSchema:
    '{"properties": {"text": {"title": "Text", "type": "string"}}, "required": ["text"], "title": "StringIO", "type": "object"}',
  examples: [],
};
