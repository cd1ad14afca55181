package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExpertSetTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0-31 | 0-31",
            "1/2 | 1/2",
            "' 1 / 4 , 3/4 ' | 1/4,3/4",
            "7,0-3,2/2 | 0-3,7,2/2",
            "all | all"})
    void parsesAndWritesTheTextForm(String text, String canonical) {
        ExpertSet set = ExpertSet.parse(text);
        assertEquals(canonical, set.toString());
        assertEquals(set, ExpertSet.parse(set.toString()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "0/2 | share 0/2 is not k/n with 1 <= k <= n",
            "3/2 | share 3/2 is not k/n",
            "1/0 | share 1/0 is not k/n",
            "a/2 | 'a/2' is not a share k/n such as 1/2",
            "1/2/3 | '1/2/3' is not a share",
            "all,1/2 | 'all' stands alone",
            "0-x | '0-x' is not an id"})
    void refusesBadSyntax(String text, String message) {
        var e = assertThrows(IllegalArgumentException.class, () -> ExpertSet.parse(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void sharesSplitAnyExpertCount() {
        assertEquals(IntSet.parse("0-79"), ExpertSet.parse("1/2").resolve(Models.glm45()));
        assertEquals(IntSet.parse("80-159"), ExpertSet.parse("2/2").resolve(Models.glm45()));
        assertEquals(IntSet.parse("0-39,80-119"), ExpertSet.parse("1/4,3/4").resolve(Models.glm45()));
        assertEquals(IntSet.parse("0-2"), ExpertSet.parse("1/2").resolve(Models.small()));
        for (int experts : new int[] {1, 2, 3, 5, 8, 16, 32, 128, 160, 161}) {
            for (int n = 1; n <= 7; n++) {
                IntSet union = IntSet.empty();
                int total = 0;
                for (int k = 1; k <= n; k++) {
                    IntSet share = new ExpertSet.Share(k, n).resolve(experts);
                    total += share.size();
                    union = union.union(share);
                    assertTrue(share.size() >= experts / n && share.size() <= experts / n + 1,
                            k + "/" + n + " of " + experts + " is near-equal: " + share);
                }
                assertEquals(IntSet.range(0, experts), union, n + " shares of " + experts + " cover every expert");
                assertEquals(experts, total, n + " shares of " + experts + " do not overlap");
            }
        }
    }

    @Test
    void allIsEveryRoutedExpert() {
        ModelConfig model = Models.glm45Air();
        assertEquals(IntSet.range(0, 128), ExpertSet.everyExpert().resolve(model));
        assertEquals(IntSet.parse("5,200"), ExpertSet.parse("5,200").resolve(model),
                "ids the model lacks are kept for the validator to report");
    }
}
