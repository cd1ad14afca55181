package dev.conclave.text.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Added and special tokens are matched whole, before normalization and pre-tokenization split the text. */
class AddedTokenTest {

    private final Tokenizer qwen = GoldenTokenizers.tokenizer("qwen3");
    private final Tokenizer deepseek = GoldenTokenizers.tokenizer("deepseek_v3");

    @Test
    void specialTokenInsideAWordIsOneId() {
        int think = qwen.tokenToId("<think>").orElseThrow();
        int[] ids = qwen.encode("abc<think>def", false);
        assertEquals(1, java.util.Arrays.stream(ids).filter(id -> id == think).count());
        int at = indexOf(ids, think);
        assertEquals("abc", qwen.decode(java.util.Arrays.copyOfRange(ids, 0, at), false));
        assertEquals("def", qwen.decode(java.util.Arrays.copyOfRange(ids, at + 1, ids.length), false));
    }

    @Test
    void adjacentSpecialTokensStayApart() {
        int[] ids = qwen.encode("<|im_start|><|im_end|></think>", false);
        assertArrayEquals(new int[] {151644, 151645, 151668}, ids);
    }

    @Test
    void aPrefixOfASpecialTokenIsOrdinaryText() {
        int[] ids = qwen.encode("<thin", false);
        assertTrue(java.util.Arrays.stream(ids).noneMatch(qwen::isSpecial));
        assertEquals("<thin", qwen.decode(ids, false));
    }

    @Test
    void nonByteLevelAddedTokensDecodeToTheirOwnText() {
        int bos = deepseek.tokenToId("<｜begin▁of▁sentence｜>").orElseThrow();
        int[] ids = deepseek.encode("<｜begin▁of▁sentence｜><｜User｜>你好<｜Assistant｜>", false);
        assertEquals(bos, ids[0]);
        assertEquals(deepseek.tokenToId("<｜User｜>").orElseThrow(), ids[1]);
        assertEquals("<｜begin▁of▁sentence｜><｜User｜>你好<｜Assistant｜>", deepseek.decode(ids, false));
    }

    @Test
    void skippingSpecialTokensKeepsNonSpecialAddedTokens() {
        // DeepSeek-V3 marks the chat-role and tool tokens special: false, so only sentence markers are skipped.
        int[] ids = deepseek.encode("<｜begin▁of▁sentence｜><｜User｜>x<｜end▁of▁sentence｜>", false);
        assertEquals("<｜User｜>x", deepseek.decode(ids, true));
    }

    private static int indexOf(int[] ids, int id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        return -1;
    }
}
