package dev.conclave.api.openai;

import java.util.List;
import java.util.Map;

/**
 * Turns a chat into prompt text: the model's chat template. An interface so the server does not depend on
 * the template engine, which the application wires in ({@code ChatTemplate::render}).
 */
@FunctionalInterface
public interface PromptRenderer {
    String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                  Map<String, Object> extra);
}
