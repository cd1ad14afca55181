package dev.conclave.text.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Finding the template in a checkpoint directory, and the apply_chat_template-style convenience render. */
class ChatTemplateLoadTest {

    @Test
    void prefersChatTemplateJinja(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ bos_token }}file");
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"chat_template\": \"config\", \"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}}");
        assertEquals("<s>file", ChatTemplate.load(dir).render(Map.of()));
    }

    @Test
    void fallsBackToTokenizerConfigStringOrNamedDefault(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ eos_token }}cfg\", \"eos_token\": \"</s>\"}");
        assertEquals("</s>cfg", ChatTemplate.load(dir).render(Map.of()));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"t\"}, {\"name\": \"default\", \"template\": \"d\"}]}");
        assertEquals("d", ChatTemplate.load(dir).render(Map.of()));
    }

    @Test
    void missingTemplateIsAClearError(@TempDir Path dir) {
        assertThrows(IOException.class, () -> ChatTemplate.load(dir));
    }

    @Test
    void convenienceRenderPassesMessagesToolsAndExtras() throws IOException {
        ChatTemplate glm = ChatTemplate.compile(GoldenRenderTest.resource("GLM-4.6.jinja"));
        String rendered = glm.render(List.of(Map.of("role", "user", "content", "Hi")), null, true,
                Map.of("enable_thinking", false));
        assertEquals("[gMASK]<sop><|user|>\nHi/nothink<|assistant|>\n<think></think>", rendered);
    }
}
