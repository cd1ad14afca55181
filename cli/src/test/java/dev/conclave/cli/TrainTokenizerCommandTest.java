package dev.conclave.cli;

import dev.conclave.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainTokenizerCommandTest {

    @TempDir
    Path dir;

    @Test
    void trainsATokenizerThatLoadsAndKeepsGlmRoleTokensWhole() throws IOException {
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, "the cat sat on the mat; the cat ate the rat.\n".repeat(50));
        Path out = dir.resolve("tok");
        CliRun run = CliRun.of("train", "tokenizer", "--corpus", corpus.toString(), "--vocab-size", "300",
                "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("300 tokens (8 merges, 36 special tokens)"), run.out());

        Tokenizer t = Tokenizer.load(out);
        String text = "[gMASK]<sop><|user|>\nthe cat<|assistant|>";
        int[] ids = t.encode(text, false);
        assertEquals(text, t.decode(ids, false));
        assertEquals(t.tokenToId("<|user|>").orElseThrow(), ids[2]);
        // The first merge is "a t": 6 times a line (cat twice, sat, mat, ate, rat), more than any other pair.
        assertEquals(256, t.tokenToId("at").orElseThrow());
        assertTrue(Files.readString(out.resolve("tokenizer_config.json")).contains("\"chat_template\": \"[gMASK]<sop>"));
    }

    @Test
    void namesAMissingCorpusFile() {
        Path missing = dir.resolve("nope.txt");
        CliRun run = CliRun.of("train", "tokenizer", "--corpus", missing.toString(), "--vocab-size", "400",
                "--out", dir.resolve("tok").toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains(missing + ": corpus file not found"), run.err());
    }
}
