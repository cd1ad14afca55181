package dev.conclave.training.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Best-fit-decreasing packing (Ding et al. 2024; training spec §7.2): documents longer than a row are cut
 * into row-sized chunks, the pieces are sorted by length (longest first, ties in input order), and each goes
 * into the open row with the least room that still fits it, or a new row. Nothing short is truncated.
 */
public final class BestFitPacker {

    private final int rowLength;
    private final int padId;

    public BestFitPacker(int rowLength, int padId) {
        if (rowLength < 2) {
            throw new IllegalArgumentException("row length must be at least 2, got " + rowLength);
        }
        this.rowLength = rowLength;
        this.padId = padId;
    }

    /** A document or a row-sized chunk of one. */
    private record Piece(Document doc, int from, int to, int order) {
        int length() {
            return to - from;
        }
    }

    /** The rows, in the order they were opened. */
    public List<PackedRow> pack(List<Document> documents) {
        List<Piece> pieces = new ArrayList<>();
        for (Document d : documents) {
            for (int from = 0; from < d.length(); from += rowLength) {
                pieces.add(new Piece(d, from, Math.min(d.length(), from + rowLength), pieces.size()));
            }
        }
        pieces.sort(Comparator.comparingInt(Piece::length).reversed().thenComparingInt(Piece::order));

        List<List<Piece>> rows = new ArrayList<>();
        int[] room = new int[pieces.size()];
        TreeMap<Integer, Deque<Integer>> byRoom = new TreeMap<>();  // room left → rows with that room, oldest first
        for (Piece p : pieces) {
            Map.Entry<Integer, Deque<Integer>> fit = byRoom.ceilingEntry(p.length());
            int row;
            if (fit == null) {
                row = rows.size();
                rows.add(new ArrayList<>());
                room[row] = rowLength;
            } else {
                row = fit.getValue().pollFirst();
                if (fit.getValue().isEmpty()) {
                    byRoom.remove(fit.getKey());
                }
            }
            rows.get(row).add(p);
            room[row] -= p.length();
            if (room[row] > 0) {
                byRoom.computeIfAbsent(room[row], r -> new ArrayDeque<>()).addLast(row);
            }
        }
        return rows.stream().map(this::row).toList();
    }

    private PackedRow row(List<Piece> pieces) {
        int[] tokens = new int[rowLength];
        boolean[] mask = new boolean[rowLength];
        int[] positions = new int[rowLength];
        int[] starts = new int[pieces.size()];
        Arrays.fill(tokens, padId);
        int at = 0;
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            starts[i] = at;
            System.arraycopy(p.doc().tokens(), p.from(), tokens, at, p.length());
            System.arraycopy(p.doc().lossMask(), p.from(), mask, at, p.length());
            mask[at] = false;
            for (int t = 0; t < p.length(); t++) {
                positions[at + t] = t;
            }
            at += p.length();
        }
        return new PackedRow(tokens, mask, positions, starts, at);
    }
}
