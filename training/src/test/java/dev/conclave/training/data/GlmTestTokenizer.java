package dev.conclave.training.data;

import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The fixture tokenizer (Qwen3's byte-level BPE, which already holds {@code <think>}, {@code <tool_call>} and
 * {@code <tool_response>} as added tokens) with GLM-4.5's role and argument tokens added as special tokens, and
 * the fixture GLM chat template: the pair the SFT mask is tested against. The real GLM tokenizer is not a
 * fixture; what matters here is that the role tokens are atomic and the BPE around them is real.
 */
final class GlmTestTokenizer {

    static final List<String> GLM_TOKENS = List.of("[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>",
            "<|observation|>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>");

    private static Tokenizer glm;

    private GlmTestTokenizer() {
    }

    static synchronized Tokenizer tokenizer() {
        if (glm == null) {
            glm = build();
        }
        return glm;
    }

    /** Splices the GLM tokens into the fixture's {@code added_tokens} list as text (a JSON tree round trip is slow). */
    private static Tokenizer build() {
        try (InputStream in = new GZIPInputStream(GlmTestTokenizer.class.getResourceAsStream("/sft/qwen3.tokenizer.json.gz"))) {
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int list = json.indexOf("\"added_tokens\"");
            int close = json.indexOf(']', list);
            StringBuilder tokens = new StringBuilder();
            int id = 151669;
            for (String token : GLM_TOKENS) {
                tokens.append(",{\"id\":").append(id++).append(",\"content\":\"").append(token)
                        .append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}");
            }
            Path file = Files.createTempFile("glm-test-tokenizer", ".json");
            file.toFile().deleteOnExit();
            Files.writeString(file, json.substring(0, close) + tokens + json.substring(close));
            return Tokenizer.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ChatTemplate template() {
        try (InputStream in = GlmTestTokenizer.class.getResourceAsStream("/sft/GLM-4.6.jinja")) {
            return ChatTemplate.compile(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
