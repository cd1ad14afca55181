package dev.conclave.training.data;

import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loss mask of spec §7.1, checked as the text of the masked and unmasked runs, written out by hand. */
class ChatRendererTest {

    @TempDir
    Path tmp;

    private final Tokenizer tokenizer = GlmTestTokenizer.tokenizer();
    private final ChatRenderer renderer = new ChatRenderer(GlmTestTokenizer.template(), tokenizer);

    private Document render(String jsonLine) {
        return renderer.render(ChatSample.parse(readTree(jsonLine), "test.jsonl:1"));
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
        try {
            return Jsonl.JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Alternating runs of equal mask, decoded: "0:" for runs outside the loss, "1:" for runs in it. */
    private List<String> runs(Document d) {
        List<String> runs = new ArrayList<>();
        int from = 0;
        for (int t = 1; t <= d.length(); t++) {
            if (t == d.length() || d.lossMask()[t] != d.lossMask()[from]) {
                int[] ids = Arrays.copyOfRange(d.tokens(), from, t);
                runs.add((d.lossMask()[from] ? "1:" : "0:") + tokenizer.decode(ids, false));
                from = t;
            }
        }
        return runs;
    }

    private void assertWholeTextTokenization(Document d, String text) {
        assertEquals(Arrays.toString(tokenizer.encode(text, false)), Arrays.toString(d.tokens()));
    }

    @Test
    void thinkingTurnIsTrainedWithTheAppendedUserToken() {
        Document d = render("""
                {"messages": [{"role": "user", "content": "Hi"},
                  {"role": "assistant", "reasoning_content": "greet", "content": "Hello!"}]}""");
        assertEquals(List.of("0:[gMASK]<sop><|user|>\nHi<|assistant|>", "1:\n<think>greet</think>\nHello!<|user|>"), runs(d));
        assertWholeTextTokenization(d, "[gMASK]<sop><|user|>\nHi<|assistant|>\n<think>greet</think>\nHello!<|user|>");
        assertEquals(tokenizer.tokenToId("<|user|>").getAsInt(), d.tokens()[d.length() - 1]);
        assertEquals(tokenizer.tokenToId("<|assistant|>").getAsInt(), d.tokens()[firstMasked(d) - 1]);
    }

    private static int firstMasked(Document d) {
        for (int t = 0; t < d.length(); t++) {
            if (d.lossMask()[t]) {
                return t;
            }
        }
        return -1;
    }

    @Test
    void nonThinkingSampleLeavesThePrefilledEmptyThinkBlockOut() {
        Document d = render("""
                {"enable_thinking": false, "messages": [{"role": "system", "content": "Be brief."},
                  {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}""");
        // The non-thinking generation prompt already ends in "\n<think></think>"; the model generates the rest.
        assertEquals(List.of("0:[gMASK]<sop><|system|>\nBe brief.<|user|>\nHi/nothink<|assistant|>\n<think></think>",
                "1:\nHello!<|user|>"), runs(d));
    }

    @Test
    void toolCallTurnEndsInObservationAndToolResultsAreNotTrained() {
        Document d = render("""
                {"tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
                 "messages": [{"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "reasoning_content": "need tool", "content": "",
                   "tool_calls": [{"id": "c1", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\", \\"days\\": 2}"}}]},
                  {"role": "tool", "content": "sunny"},
                  {"role": "assistant", "reasoning_content": "answer", "content": "It is sunny."}]}""");
        List<String> runs = runs(d);
        assertEquals(4, runs.size(), runs.toString());
        assertTrue(runs.get(0).startsWith("0:[gMASK]<sop><|system|>\n# Tools\n"), runs.get(0));
        assertTrue(runs.get(0).endsWith("</tool_call><|user|>\nWeather in Paris?<|assistant|>"), runs.get(0));
        assertEquals("1:\n<think>need tool</think>\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n"
                + "<arg_key>days</arg_key>\n<arg_value>2</arg_value>\n</tool_call><|observation|>", runs.get(1));
        assertEquals("0:\n<tool_response>\nsunny\n</tool_response><|assistant|>", runs.get(2));
        // After the last user message reasoning is kept, so the agentic turn is trained with it.
        assertEquals("1:\n<think>answer</think>\nIt is sunny.<|user|>", runs.get(3));
    }

    @Test
    void earlierTurnWhoseReasoningTheTemplateDropsIsNotTrained() {
        Document d = render("""
                {"messages": [{"role": "user", "content": "Hi"},
                  {"role": "assistant", "reasoning_content": "greet", "content": "Hello!"},
                  {"role": "user", "content": "Bye"},
                  {"role": "assistant", "reasoning_content": "leave", "content": "Bye!"}]}""");
        assertEquals(List.of("0:[gMASK]<sop><|user|>\nHi<|assistant|>\n<think></think>\nHello!<|user|>\nBye<|assistant|>",
                "1:\n<think>leave</think>\nBye!<|user|>"), runs(d));
    }

    @Test
    void earlierTurnWithoutReasoningIsTrainedAndStepLossMaskExcludesATurn() {
        Document d = render("""
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                  {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye!"}]}""");
        assertEquals(List.of("0:[gMASK]<sop><|user|>\nHi<|assistant|>", "1:\n<think></think>\nHello!<|user|>",
                "0:\nBye<|assistant|>", "1:\n<think></think>\nBye!<|user|>"), runs(d));

        Document masked = render("""
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!", "step_loss_mask": 0},
                  {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye!"}]}""");
        assertEquals(List.of("0:[gMASK]<sop><|user|>\nHi<|assistant|>\n<think></think>\nHello!<|user|>\nBye<|assistant|>",
                "1:\n<think></think>\nBye!<|user|>"), runs(masked));
    }

    @Test
    void conversationEndingInAUserTurnTrainsTheTurnBeforeIt() {
        Document d = render("""
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                  {"role": "user", "content": "Bye"}]}""");
        assertEquals(List.of("0:[gMASK]<sop><|user|>\nHi<|assistant|>", "1:\n<think></think>\nHello!<|user|>", "0:\nBye"), runs(d));
    }

    @Test
    void aBoundaryInsideATokenIsAnError() {
        // A template whose generation prompt ends inside the word "Hello", which the BPE keeps as one token.
        ChatTemplate cut = ChatTemplate.compile("{% for m in messages %}{% if m.role == 'user' %}<|user|>\n{{ m.content }}"
                + "{% else %}<|assistant|>\n{{ m.content }}{% endif %}{% endfor %}"
                + "{% if add_generation_prompt %}<|assistant|>\nHel{% endif %}");
        ChatRenderer renderer = new ChatRenderer(cut, tokenizer);
        DataException e = assertThrows(DataException.class, () -> renderer.render(ChatSample.parse(readTree("""
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}"""),
                "data.jsonl:7")));
        assertTrue(e.getMessage().startsWith("data.jsonl:7: a turn boundary"), e.getMessage());
    }

    @Test
    void aTurnNotEndedByARoleTokenIsAnError() {
        ChatTemplate noRoles = ChatTemplate.compile("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                + "{% if add_generation_prompt %}assistant: {% endif %}");
        ChatRenderer renderer = new ChatRenderer(noRoles, tokenizer);
        DataException e = assertThrows(DataException.class, () -> renderer.render(ChatSample.parse(readTree("""
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}, {"role": "user", "content": "x"}]}"""),
                "data.jsonl:2")));
        assertTrue(e.getMessage().startsWith("data.jsonl:2: messages[1]: the assistant turn is followed by"), e.getMessage());
    }

    @Test
    void malformedLinesNameTheFileAndLine() throws IOException {
        Path file = tmp.resolve("sft.jsonl");
        String good = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Yo\"}]}";
        Files.writeString(file, good + "\n\n" + good + "\n{\"messages\": [oops\n");
        DataException e = assertThrows(DataException.class, () -> ChatSample.read(file));
        assertTrue(e.getMessage().startsWith(file + ":4: not valid JSON"), e.getMessage());

        String[][] cases = {
                {"{\"messages\": []}", "\"messages\" must be a non-empty list"},
                {"{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}", "messages[0].role must be one of"},
                {"{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\", \"arguments\": \"{bad\"}}]}]}",
                        "messages[0].tool_calls[0].function.arguments is a string but not valid JSON"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": 3}]}", "messages[0].content must be"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"enable_thinking\": \"no\"}", "\"enable_thinking\" must be"},
                {"[1, 2]", "expected a JSON object per line"},
        };
        for (String[] c : cases) {
            Files.writeString(file, good + "\n" + c[0] + "\n");
            DataException bad = assertThrows(DataException.class, () -> ChatSample.read(file), c[0]);
            assertTrue(bad.getMessage().startsWith(file + ":2: ") && bad.getMessage().contains(c[1]), bad.getMessage());
        }
        Files.writeString(file, good + "\n" + good + "\n");
        List<ChatSample> samples = ChatSample.read(file);
        assertEquals(2, samples.size());
        assertEquals(file + ":2", samples.get(1).source());
    }
}
