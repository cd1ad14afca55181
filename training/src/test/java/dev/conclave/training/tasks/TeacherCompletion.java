package dev.conclave.training.tasks;

import dev.conclave.text.chat.ChatTemplate;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model would have to generate to reproduce the teacher's first assistant turn: the SFT line rendered by
 * the GLM chat template (a copy of the fixture's GLM-4.6.jinja), minus the prompt rendered with the generation
 * prompt, cut at the next role token. Independent of how the tasks build their messages.
 */
final class TeacherCompletion {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ChatTemplate TEMPLATE = load();
    private static final List<String> ROLE_TOKENS = List.of("<|user|>", "<|observation|>", "<|system|>", "<|assistant|>");

    private TeacherCompletion() {
    }

    static String of(Problem problem) {
        Map<String, Object> full = JSON.convertValue(TaskFiles.sftLine(problem), new TypeReference<>() { });
        full.putIfAbsent("tools", null);
        full.put("add_generation_prompt", false);
        Map<String, Object> prompt = new HashMap<>(full);
        prompt.put("messages", JSON.convertValue(problem.prompt(), new TypeReference<List<Object>>() { }));
        prompt.put("add_generation_prompt", true);
        String whole = TEMPLATE.render(full);
        String head = TEMPLATE.render(prompt);
        if (!whole.startsWith(head)) {
            throw new AssertionError("prompt render is no prefix of the SFT render:\n" + head + "\n---\n" + whole);
        }
        String rest = whole.substring(head.length());
        int end = rest.length();
        for (String role : ROLE_TOKENS) {
            int at = rest.indexOf(role);
            if (at >= 0) {
                end = Math.min(end, at);
            }
        }
        return rest.substring(0, end);
    }

    private static ChatTemplate load() {
        try (InputStream in = TeacherCompletion.class.getResourceAsStream("/chat-templates/GLM-4.6.jinja")) {
            return ChatTemplate.compile(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
