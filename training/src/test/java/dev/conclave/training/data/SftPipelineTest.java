package dev.conclave.training.data;

import dev.conclave.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JSONL → rendered, masked documents → packed rows → optimizer steps, as the SFT loop consumes them. */
class SftPipelineTest {

    @TempDir
    Path tmp;

    @Test
    void everyTrainedRunInThePackedRowsEndsInAStopToken() throws IOException {
        Tokenizer tokenizer = GlmTestTokenizer.tokenizer();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            lines.add(switch (i % 3) {
                case 0 -> "{\"messages\": [{\"role\": \"user\", \"content\": \"What is " + i + " + " + i + "?\"},"
                        + " {\"role\": \"assistant\", \"reasoning_content\": \"add\", \"content\": \"" + (2 * i) + "\"}]}";
                case 1 -> "{\"enable_thinking\": false, \"messages\": [{\"role\": \"user\", \"content\": \"Say " + i + "\"},"
                        + " {\"role\": \"assistant\", \"content\": \"" + i + "\"}, {\"role\": \"user\", \"content\": \"Again\"},"
                        + " {\"role\": \"assistant\", \"content\": \"" + i + " " + i + "\"}]}";
                default -> "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"calc\"}}], \"messages\": ["
                        + "{\"role\": \"user\", \"content\": \"Compute " + i + "\"}, {\"role\": \"assistant\", \"content\": \"\","
                        + " \"tool_calls\": [{\"function\": {\"name\": \"calc\", \"arguments\": {\"x\": " + i + "}}}]},"
                        + " {\"role\": \"tool\", \"content\": \"" + (i * i) + "\"}, {\"role\": \"assistant\", \"content\": \"done\"}]}";
            });
        }
        Path file = tmp.resolve("sft.jsonl");
        Files.write(file, lines);

        ChatRenderer renderer = new ChatRenderer(GlmTestTokenizer.template(), tokenizer);
        List<Document> docs = ChatSample.read(file).stream().map(renderer::render).toList();
        int user = tokenizer.tokenToId("<|user|>").getAsInt();
        int observation = tokenizer.tokenToId("<|observation|>").getAsInt();
        long masked = docs.stream().mapToLong(Document::maskedTokens).sum();

        List<PackedRow> rows = new BestFitPacker(512, tokenizer.tokenToId("<|endoftext|>").getAsInt()).pack(docs);
        assertTrue(rows.size() < docs.size(), rows.size() + " rows for " + docs.size() + " documents");
        long rowMasked = 0;
        int runs = 0;
        for (PackedRow r : rows) {
            rowMasked += r.maskedTokens();
            for (int t = 0; t < r.length(); t++) {
                boolean endOfRun = r.lossMask()[t] && (t + 1 == r.length() || !r.lossMask()[t + 1]);
                if (endOfRun) {
                    runs++;
                    assertTrue(r.tokens()[t] == user || r.tokens()[t] == observation,
                            "a trained run ends in '" + tokenizer.idToToken(r.tokens()[t]) + "'");
                }
            }
        }
        // No document starts with a trained token, so packing keeps every target.
        assertEquals(masked, rowMasked);
        // Per 3 samples: 1 turn, 2 turns, 2 turns (tool call, answer).
        assertEquals(4 * 5, runs);

        Batches epoch = Batches.epoch(rows, 3, 0, 1, rows.size());
        assertEquals(1, epoch.steps().size());
        assertEquals(masked, epoch.steps().getFirst().maskedTokens());
    }
}
