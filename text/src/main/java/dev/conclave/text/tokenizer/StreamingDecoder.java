package dev.conclave.text.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Decodes ids one at a time into text deltas for streaming responses. A byte-level token can end in the middle
 * of a UTF-8 character (emoji and CJK often span tokens), so the bytes of an unfinished character are held back
 * until the character completes; the concatenated deltas plus {@link #finish()} equal {@link Tokenizer#decode}.
 * Not thread-safe: one per response stream.
 */
public final class StreamingDecoder {

    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** The text that {@code id} completes; empty while a character is still incomplete. */
    public String next(int id) {
        byte[] bytes = tokenizer.tokenBytes(id, skipSpecialTokens);
        pending.write(bytes, 0, bytes.length);
        byte[] all = pending.toByteArray();
        int ready = all.length - incompleteTail(all);
        pending.reset();
        pending.write(all, ready, all.length - ready);
        return new String(all, 0, ready, StandardCharsets.UTF_8);
    }

    /** Whatever is still held back, with U+FFFD for a character the stream never completed. */
    public String finish() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /**
     * How many trailing bytes are the start of a multi-byte character still missing continuation bytes. Holding
     * them is safe even if they later prove invalid: the whole run is then decoded together, as in a full decode.
     */
    static int incompleteTail(byte[] bytes) {
        int n = bytes.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int b = bytes[n - back] & 0xFF;
            if (b >= 0x80 && b < 0xC0) {
                continue;
            }
            int length = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 1;
            return length > back ? back : 0;
        }
        return 0;
    }
}
