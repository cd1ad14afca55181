package dev.conclave.text.parse;

import dev.conclave.text.JsonText;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * Turns the text of one {@code <arg_value>} that is not declared a string into JSON (spec §8.2 step 4): JSON
 * parse; else JSON parse after unescaping the text as a JSON string body (models sometimes write
 * {@code {\"a\": 1}}); else a Python literal ({@code True}, {@code {'a': 1}}); else the raw text as a string.
 */
final class ArgumentValues {
    // Decimals stay BigDecimal so "1.10" keeps its digits and 1e999 cannot become an invalid "Infinity".
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    private ArgumentValues() {
    }

    /** The value as compact JSON text. */
    static String toJson(String raw) {
        JsonNode node = parseJson(raw);
        if (node == null) {
            JsonNode unescaped = parseJson("\"" + raw + "\"");
            node = unescaped != null && unescaped.isTextual() ? parseJson(unescaped.asText()) : null;
        }
        if (node == null) {
            node = PythonLiteral.parse(raw);
        }
        if (node == null) {
            return JsonText.quote(raw);
        }
        try {
            return STRICT.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed JSON tree always serialises", e);
        }
    }

    private static JsonNode parseJson(String text) {
        try {
            JsonNode node = STRICT.readTree(text);
            return node == null || node.isMissingNode() ? null : node;
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
