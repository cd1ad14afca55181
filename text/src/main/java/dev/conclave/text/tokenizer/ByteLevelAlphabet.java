package dev.conclave.text.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible map between the 256 byte values and 256 printable code points: printable Latin-1 bytes map
 * to themselves, the rest to U+0100 upwards in byte order. Byte-level vocabularies spell every token in this
 * alphabet, so any byte string, including half a UTF-8 character, is a sequence of vocabulary symbols.
 */
final class ByteLevelAlphabet {

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by code point; -1 where the code point is not in the alphabet. */
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    /**
     * The 256 byte values in the order of their alphabet code points, which is GPT-2's {@code bytes_to_unicode}
     * order (printable bytes first, then the rest): byte-level vocabularies give their first 256 ids in it.
     */
    static byte[] vocabularyOrder() {
        byte[] order = new byte[256];
        int n = 0;
        for (int b : CHAR_TO_BYTE) {
            if (b >= 0) {
                order[n++] = (byte) b;
            }
        }
        return order;
    }

    /** Spells UTF-8 bytes in the alphabet, one char per byte. */
    static String encode(byte[] utf8) {
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * The bytes a token spells, or null when some char is outside the alphabet (an added token such as
     * {@code <｜User｜>}); the Rust decoder then falls back to the token's own UTF-8, and so do callers.
     */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
