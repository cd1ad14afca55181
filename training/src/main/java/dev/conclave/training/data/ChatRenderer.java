package dev.conclave.training.data;

import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns a {@link ChatSample} into token ids and the SFT loss mask of training spec §7.1, with the checkpoint's
 * own chat template and tokenizer.
 *
 * <p>The mask is 1 exactly on what the model generates in a trained assistant turn, plus the role token that
 * ends it ({@code <|observation|>} before tool results, otherwise {@code <|user|>}, which is appended after a
 * final assistant turn): generation stops on those tokens, so the model must learn to emit them. What "the
 * model generates" means is read off the template, not hard-coded: for assistant message i, the prompt is the
 * rendering of messages {@code [0, i)} with the generation prompt (so a non-thinking prompt's prefilled
 * {@code <think></think>} is not trained), and the turn is the rendering of {@code [0, i]}; the generated text
 * is the difference. A turn is trained only when the whole conversation renders it exactly so: GLM templates
 * drop the reasoning of turns before the last user message, and such a turn is not what inference saw
 * (spec: "train only the turns whose rendering matches what inference will see"); it stays in the context
 * with mask 0.
 *
 * <p>Character spans become token spans by tokenizing the pieces between span boundaries separately; the
 * pieces must concatenate to the tokenization of the whole text, so a boundary inside a token is an error
 * instead of a silently shifted mask.
 */
public final class ChatRenderer {

    public static final String USER = "<|user|>";
    public static final String OBSERVATION = "<|observation|>";

    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final int userId;
    private final int observationId;

    public ChatRenderer(ChatTemplate template, Tokenizer tokenizer) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.userId = specialId(tokenizer, USER);
        this.observationId = specialId(tokenizer, OBSERVATION);
    }

    private static int specialId(Tokenizer tokenizer, String token) {
        return tokenizer.tokenToId(token).orElseThrow(() -> new DataException(
                "the tokenizer has no " + token + " token; SFT data needs a GLM-4.5 tokenizer and chat template"));
    }

    /** The tokens and loss mask of {@code sample}; an inconsistency is an error naming the sample's file and line. */
    public Document render(ChatSample sample) {
        List<Map<String, Object>> messages = sample.messages();
        Map<String, Object> extra = extra(sample);
        boolean endsWithAssistant = "assistant".equals(messages.getLast().get("role"));
        String full = render(sample, messages.size(), false, extra) + (endsWithAssistant ? USER : "");

        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!sample.trainsOn(i)) {
                continue;
            }
            String prompt = render(sample, i, true, extra);
            String turn = render(sample, i + 1, false, extra);
            if (!turn.startsWith(prompt)) {
                throw new DataException(sample.source() + ": messages[" + i + "]: the chat template renders the turn without"
                        + " the generation prompt it renders before it, so the generated part is undefined");
            }
            if (!full.startsWith(turn)) {
                continue;
            }
            String rest = full.substring(turn.length());
            String end = rest.startsWith(USER) ? USER : rest.startsWith(OBSERVATION) ? OBSERVATION : null;
            if (end == null) {
                throw new DataException(sample.source() + ": messages[" + i + "]: the assistant turn is followed by '"
                        + rest.substring(0, Math.min(20, rest.length())) + "', not by " + USER + " or " + OBSERVATION);
            }
            spans.add(new int[] {prompt.length(), turn.length() + end.length()});
        }
        return tokenize(full, spans, sample.source());
    }

    /** The tokens a model answers at inference: the whole conversation and the template's generation prompt. */
    public int[] prompt(ChatSample sample) {
        Map<String, Object> extra = extra(sample);
        return tokenizer.encode(render(sample, sample.messages().size(), true, extra), false);
    }

    private static Map<String, Object> extra(ChatSample sample) {
        Map<String, Object> extra = new HashMap<>();
        if (sample.enableThinking() != null) {
            extra.put("enable_thinking", sample.enableThinking());
        }
        return extra;
    }

    private String render(ChatSample sample, int messages, boolean generationPrompt, Map<String, Object> extra) {
        try {
            return template.render(sample.messages().subList(0, messages), sample.tools(), generationPrompt, extra);
        } catch (RuntimeException e) {
            throw new DataException(sample.source() + ": the chat template failed: " + e.getMessage(), e);
        }
    }

    private Document tokenize(String text, List<int[]> spans, String source) {
        TreeSet<Integer> cuts = new TreeSet<>(List.of(0, text.length()));
        spans.forEach(s -> {
            cuts.add(s[0]);
            cuts.add(s[1]);
        });
        int[] ids = tokenizer.encode(text, false);
        boolean[] lossMask = new boolean[ids.length];
        int at = 0;
        int from = 0;
        for (int to : cuts.tailSet(0, false)) {
            boolean trained = inSpan(spans, from);
            int[] piece = tokenizer.encode(text.substring(from, to), false);
            if (at + piece.length > ids.length || !Arrays.equals(piece, 0, piece.length, ids, at, at + piece.length)) {
                throw new DataException(source + ": a turn boundary at character " + from + " or " + to + " falls inside"
                        + " a token, so the loss mask cannot be exact (the template and tokenizer do not cut at role tokens)");
            }
            if (trained && piece.length > 0 && piece[piece.length - 1] != userId && piece[piece.length - 1] != observationId) {
                throw new DataException(source + ": a trained turn does not end in one " + USER + " or " + OBSERVATION + " token");
            }
            Arrays.fill(lossMask, at, at + piece.length, trained);
            at += piece.length;
            from = to;
        }
        if (at != ids.length) {
            throw new DataException(source + ": the pieces of the conversation tokenize to " + at + " tokens, the whole to " + ids.length);
        }
        return new Document(ids, lossMask, source);
    }

    private static boolean inSpan(List<int[]> spans, int position) {
        for (int[] s : spans) {
            if (position >= s[0] && position < s[1]) {
                return true;
            }
        }
        return false;
    }
}
