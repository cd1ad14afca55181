package dev.conclave.text.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every split behavior, plain and inverted, against what the Rust library's {@code Split("-")} produces. */
class RegexSplitTest {

    @ParameterizedTest(name = "{0} invert={1}")
    @CsvSource(delimiter = ';', value = {
            "Removed;false;the|final|countdown",
            "Removed;true;-|-|-",
            "Isolated;false;the|-|final|-|-|countdown",
            "Isolated;true;the|-|final|-|-|countdown",
            "MergedWithPrevious;false;the-|final-|-|countdown",
            "MergedWithPrevious;true;the|-final|-|-countdown",
            "MergedWithNext;false;the|-final|-|-countdown",
            "MergedWithNext;true;the-|final-|-|countdown",
            "Contiguous;false;the|-|final|--|countdown",
            "Contiguous;true;the|-|final|--|countdown",
    })
    void matchesRustLibrary(String behavior, boolean invert, String expected) {
        RegexSplit split = new RegexSplit(RegexSplit.compileLiteral("-"), SplitBehavior.fromJson(behavior), invert);
        List<String> pieces = new ArrayList<>();
        split.split("the-final--countdown", pieces);
        assertEquals(Arrays.asList(expected.split("\\|")), pieces);
    }
}
