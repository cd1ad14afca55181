package dev.conclave.training.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One line of an RL task file, what {@code conclave train grpo} samples prompts from:
 * <pre>
 *   {"id": "carry-bug-addition-000017",
 *    "prompt": [{"role": "user", "content": "45+67="}],     OpenAI-style messages before the generated turn
 *    "tools": [...],                                          optional OpenAI tools array
 *    "verifier": "exact_match",                               a name or weighted sum known to Verifiers
 *    "answer": "211"}                                         the reference the verifier scores against
 * </pre>
 */
public record RlTask(String id, ArrayNode prompt, ArrayNode tools, String verifier, String answer) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ObjectNode toJson() {
        ObjectNode line = Messages.JSON.objectNode();
        line.put("id", id);
        line.set("prompt", prompt);
        if (tools != null) {
            line.set("tools", tools);
        }
        line.put("verifier", verifier);
        line.put("answer", answer);
        return line;
    }

    /** Reads a task file; a malformed line is an error naming the file, the line and the field. */
    public static List<RlTask> read(Path file) {
        List<RlTask> tasks = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                RlTask task = parse(line, file + ":" + number);
                if (!ids.add(task.id())) {
                    throw new IllegalArgumentException(file + ":" + number + ": duplicate id '" + task.id() + "'");
                }
                tasks.add(task);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read RL task file " + file, e);
        }
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException(file + ": no RL tasks");
        }
        return tasks;
    }

    static RlTask parse(String line, String where) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not JSON: " + e.getOriginalMessage());
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": a task line must be a JSON object");
        }
        JsonNode prompt = node.get("prompt");
        if (prompt == null || !prompt.isArray() || prompt.isEmpty()) {
            throw new IllegalArgumentException(where + ": \"prompt\" must be a non-empty array of messages");
        }
        for (JsonNode message : prompt) {
            if (!message.path("role").isTextual()) {
                throw new IllegalArgumentException(where + ": every \"prompt\" message needs a string \"role\"");
            }
        }
        JsonNode tools = node.get("tools");
        if (tools != null && !tools.isNull() && !tools.isArray()) {
            throw new IllegalArgumentException(where + ": \"tools\" must be an array");
        }
        return new RlTask(text(node, "id", where), (ArrayNode) prompt,
                tools == null || tools.isNull() ? null : (ArrayNode) tools, text(node, "verifier", where),
                text(node, "answer", where));
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a string");
        }
        return value.asText();
    }
}
