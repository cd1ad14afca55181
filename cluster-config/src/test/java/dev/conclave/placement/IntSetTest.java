package dev.conclave.placement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntSetTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0-3,7,10-12 | 0-3,7,10-12",
            "' 7 , 0 - 3 ' | 0-3,7",
            "0-3,2-5 | 0-5",
            "0-3,4-5 | 0-5",
            "3,1,2 | 1-3",
            "5-5 | 5",
            "'' | ''"})
    void parsesAndWritesTheCompactForm(String text, String canonical) {
        IntSet set = IntSet.parse(text);
        assertEquals(canonical, set.toString());
        assertEquals(set, IntSet.parse(set.toString()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "3-1 | range '3-1' ends before it starts",
            "0-3,,5 | empty item",
            "a | 'a' is not an id or a range such as 0-3",
            "-1 | '-1' is not an id",
            "1-2-3 | '1-2-3' is not an id",
            "99999999999 | too large"})
    void refusesBadSyntaxNamingTheItem(String text, String message) {
        var e = assertThrows(IllegalArgumentException.class, () -> IntSet.parse(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void membershipAndSize() {
        IntSet set = IntSet.parse("0-3,7,10-12");
        assertEquals(8, set.size());
        assertArrayEquals(new int[] {0, 1, 2, 3, 7, 10, 11, 12}, set.toArray());
        for (int v = 0; v < 15; v++) {
            assertEquals(v <= 3 || v == 7 || (v >= 10 && v <= 12), set.contains(v), "contains " + v);
        }
        assertFalse(set.contains(-1));
        assertTrue(IntSet.empty().isEmpty());
        assertFalse(IntSet.empty().contains(0));
    }

    @Test
    void setAlgebra() {
        IntSet a = IntSet.parse("0-9");
        IntSet b = IntSet.parse("3-4,8-12");
        assertEquals(IntSet.parse("0-12"), a.union(b));
        assertEquals(IntSet.parse("3-4,8-9"), a.intersect(b));
        assertEquals(IntSet.parse("0-2,5-7"), a.minus(b));
        assertEquals(IntSet.parse("10-12"), b.minus(a));
        assertEquals(IntSet.empty(), a.minus(a));
        assertEquals(IntSet.range(2, 5), IntSet.of(4, 2, 3));
        assertEquals(IntSet.empty(), IntSet.range(5, 5));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, -100})
    void idsAreNonNegative(int id) {
        assertThrows(IllegalArgumentException.class, () -> IntSet.of(id));
    }
}
