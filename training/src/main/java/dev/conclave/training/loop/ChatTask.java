package dev.conclave.training.loop;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;
import dev.conclave.training.data.ChatRenderer;
import dev.conclave.training.data.ChatSample;
import dev.conclave.training.data.DataException;
import dev.conclave.training.tasks.RlTask;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A model's text interface for training: task prompts through the checkpoint's chat template and
 * tokenizer, the GLM stop tokens that end an assistant turn, and generated tokens back to the text a
 * verifier scores.
 */
public final class ChatTask {

    /** The role tokens that end a generated GLM turn (training spec §1.1), and end-of-text. */
    static final String[] STOP_TOKENS = {"<|user|>", "<|observation|>", "<|endoftext|>"};

    private final Tokenizer tokenizer;
    private final ChatRenderer renderer;
    private final Set<Integer> stopIds;

    public ChatTask(ChatTemplate template, Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.renderer = new ChatRenderer(template, tokenizer);
        Set<Integer> ids = new LinkedHashSet<>();
        for (String t : STOP_TOKENS) {
            tokenizer.tokenToId(t).ifPresent(ids::add);
        }
        if (ids.isEmpty()) {
            throw new DataException("the tokenizer has none of the GLM stop tokens " + Arrays.toString(STOP_TOKENS));
        }
        this.stopIds = Set.copyOf(ids);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ChatRenderer renderer() {
        return renderer;
    }

    public Set<Integer> stopIds() {
        return stopIds;
    }

    /** The prompt tokens of a task: its messages and tools rendered with the generation prompt. */
    public int[] prompt(RlTask task) {
        ObjectNode line = JsonNodeFactory.instance.objectNode();
        line.set("messages", task.prompt());
        if (task.tools() != null) {
            line.set("tools", task.tools());
        }
        return renderer.prompt(ChatSample.parse(line, "task " + task.id()));
    }

    /** The text of a generated turn without the stop token that ended it, special tokens kept (thinking tags). */
    public String text(int[] completion) {
        int n = completion.length;
        if (n > 0 && stopIds.contains(completion[n - 1])) {
            n--;
        }
        return tokenizer.decode(Arrays.copyOf(completion, n), false);
    }
}
