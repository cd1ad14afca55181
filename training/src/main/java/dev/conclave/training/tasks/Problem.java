package dev.conclave.training.tasks;

import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * One drawn problem of a synthetic task, as OpenAI-style chat messages.
 *
 * @param prompt        the conversation up to the turn the model must generate (user, and system if any)
 * @param tools         the OpenAI {@code tools} array the prompt offers, or {@code null}
 * @param demonstration the teacher's reply: one assistant message, or for a tool task assistant (tool call),
 *                      tool (result), assistant (final answer); may be wrong when the task's teacher is flawed
 * @param answer        the reference answer the task's verifier scores the first generated turn against
 */
public record Problem(ArrayNode prompt, ArrayNode tools, ArrayNode demonstration, String answer) {

    /** The text of the first user message: the problem's identity for the train / held-out split. */
    public String question() {
        for (var message : prompt) {
            if ("user".equals(message.path("role").asText())) {
                return message.path("content").asText();
            }
        }
        throw new IllegalStateException("problem prompt has no user message: " + prompt);
    }
}
