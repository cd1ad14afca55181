package dev.conclave.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.api.openai.TinyTokenizer;
import dev.conclave.core.testing.Fixtures;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Fixture C made servable: a byte-level tokenizer padded with special tokens up to its vocabulary, and a chat template. */
final class ServableModel {
    /** The prompt the template makes of one user message {@code content}. */
    static final String PROMPT_FORMAT = "<|user|>%s<|assistant|>";

    private ServableModel() {
    }

    static Path create(Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        try (var files = Files.list(Fixtures.fixture(Fixtures.TINY_C))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        TinyTokenizer.create(dir);
        Path file = dir.resolve("tokenizer.json");
        ObjectNode root = (ObjectNode) json.readTree(file.toFile());
        ArrayNode added = (ArrayNode) root.get("added_tokens");
        int vocab = json.readTree(dir.resolve("config.json").toFile()).get("vocab_size").asInt();
        for (int id = added.size() + 256; id < vocab; id++) {
            added.addObject().put("id", id).put("content", "<|extra_" + id + "|>").put("special", true);
        }
        Files.writeString(file, json.writeValueAsString(root));
        Files.writeString(dir.resolve("chat_template.jinja"),
                "{% for m in messages %}<|user|>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}");
        return dir;
    }

    /** The same model with GLM-4.6's own chat template (thinking, tools, tool responses) in place of the short one. */
    static Path createWithGlmTemplate(Path dir) throws Exception {
        create(dir);
        try (InputStream glm = ServableModel.class.getResourceAsStream("/chat-templates/GLM-4.6.jinja")) {
            if (glm == null) {
                throw new IllegalStateException("chat-templates/GLM-4.6.jinja is not on the test classpath (conclave-text's test-jar)");
            }
            Files.copy(glm, dir.resolve("chat_template.jinja"), StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }
}
