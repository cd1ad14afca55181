package dev.conclave.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * An immutable set of non-negative ints kept as sorted, disjoint, non-adjacent ranges, because placements
 * name layers and experts in runs ("0-79"): GLM-4.5's 92 × 160 (layer, expert) pairs stay a few ranges
 * per node. Its text form, which {@link #parse} reads and {@link #toString} writes, is a comma-separated
 * list of ids and inclusive ranges: {@code "0-3,7,10-12"}; the empty set is {@code ""}.
 */
public final class IntSet {

    private static final IntSet EMPTY = new IntSet(new int[0]);

    /** Pairs {@code [start, endExclusive)}, ascending, with a gap of at least one between pairs. */
    private final int[] bounds;

    private IntSet(int[] bounds) {
        this.bounds = bounds;
    }

    public static IntSet empty() {
        return EMPTY;
    }

    /** {@code startInclusive..endExclusive-1}, as {@link IntStream#range}; empty when end <= start. */
    public static IntSet range(int startInclusive, int endExclusive) {
        checkNonNegative(startInclusive);
        return endExclusive <= startInclusive ? EMPTY : new IntSet(new int[] {startInclusive, endExclusive});
    }

    public static IntSet of(int... values) {
        List<int[]> ranges = new ArrayList<>();
        for (int v : values) {
            checkNonNegative(v);
            ranges.add(new int[] {v, v + 1});
        }
        return fromRanges(ranges);
    }

    /**
     * Reads the text form. Whitespace around items is ignored; overlapping items are merged.
     *
     * @throws IllegalArgumentException naming the bad item, for the caller to place in its file and key
     */
    public static IntSet parse(String text) {
        if (text.isBlank()) {
            return EMPTY;
        }
        List<int[]> ranges = new ArrayList<>();
        for (String item : text.split(",", -1)) {
            ranges.add(parseRange(item.strip()));
        }
        return fromRanges(ranges);
    }

    private static int[] parseRange(String item) {
        if (item.isEmpty()) {
            throw new IllegalArgumentException("empty item in a comma-separated list");
        }
        int dash = item.indexOf('-');
        if (dash < 0) {
            int v = parseId(item, item);
            return new int[] {v, v + 1};
        }
        int first = parseId(item.substring(0, dash).strip(), item);
        int last = parseId(item.substring(dash + 1).strip(), item);
        if (last < first) {
            throw new IllegalArgumentException("range '" + item + "' ends before it starts");
        }
        return new int[] {first, last + 1};
    }

    private static int parseId(String digits, String item) {
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("'" + item + "' is not an id or a range such as 0-3");
        }
        try {
            // An id at Integer.MAX_VALUE would overflow the exclusive end; no model has that many of anything.
            int v = Integer.parseInt(digits);
            if (v == Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + item + "' holds an id that is too large");
        }
    }

    private static IntSet fromRanges(List<int[]> ranges) {
        ranges.sort(Comparator.comparingInt(r -> r[0]));
        int[] merged = new int[2 * ranges.size()];
        int n = 0;
        for (int[] r : ranges) {
            if (r[1] <= r[0]) {
                continue;
            }
            if (n > 0 && r[0] <= merged[n - 1]) {
                merged[n - 1] = Math.max(merged[n - 1], r[1]);
            } else {
                merged[n++] = r[0];
                merged[n++] = r[1];
            }
        }
        return n == 0 ? EMPTY : new IntSet(Arrays.copyOf(merged, n));
    }

    private static void checkNonNegative(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("ids are non-negative, got " + v);
        }
    }

    public boolean contains(int value) {
        // The last range starting at or before value is the only one that can hold it.
        int lo = 0;
        int hi = bounds.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (bounds[2 * mid] <= value) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi >= 0 && value < bounds[2 * hi + 1];
    }

    public int size() {
        int size = 0;
        for (int i = 0; i < bounds.length; i += 2) {
            size += bounds[i + 1] - bounds[i];
        }
        return size;
    }

    public boolean isEmpty() {
        return bounds.length == 0;
    }

    public IntSet union(IntSet other) {
        List<int[]> ranges = new ArrayList<>(ranges());
        ranges.addAll(other.ranges());
        return fromRanges(ranges);
    }

    public IntSet intersect(IntSet other) {
        List<int[]> ranges = new ArrayList<>();
        for (int[] a : ranges()) {
            for (int[] b : other.ranges()) {
                ranges.add(new int[] {Math.max(a[0], b[0]), Math.min(a[1], b[1])});
            }
        }
        return fromRanges(ranges);
    }

    /** The members of this set that {@code other} lacks. */
    public IntSet minus(IntSet other) {
        List<int[]> rest = new ArrayList<>();
        for (int[] a : ranges()) {
            int start = a[0];
            for (int[] b : other.ranges()) {
                if (b[1] > start && b[0] < a[1]) {
                    rest.add(new int[] {start, b[0]});
                    start = Math.max(start, b[1]);
                }
            }
            rest.add(new int[] {start, a[1]});
        }
        return fromRanges(rest);
    }

    /** Ascending. */
    public IntStream stream() {
        return IntStream.range(0, bounds.length / 2).flatMap(i -> IntStream.range(bounds[2 * i], bounds[2 * i + 1]));
    }

    public int[] toArray() {
        return stream().toArray();
    }

    private List<int[]> ranges() {
        List<int[]> ranges = new ArrayList<>(bounds.length / 2);
        for (int i = 0; i < bounds.length; i += 2) {
            ranges.add(new int[] {bounds[i], bounds[i + 1]});
        }
        return ranges;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IntSet other && Arrays.equals(bounds, other.bounds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bounds);
    }

    /** The text form, which {@link #parse} reads back to an equal set. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < bounds.length; i += 2) {
            if (i > 0) {
                s.append(',');
            }
            int first = bounds[i];
            int last = bounds[i + 1] - 1;
            s.append(first);
            if (last > first) {
                s.append('-').append(last);
            }
        }
        return s.toString();
    }
}
