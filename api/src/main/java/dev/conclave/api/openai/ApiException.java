package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A request that fails with an HTTP status and OpenAI's error body. */
final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    ApiException(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** A 400 blaming one request field ({@code param} may be null when no single field is at fault). */
    static ApiException invalid(String message, String param) {
        return new ApiException(400, "invalid_request_error", message, param, null);
    }

    int status() {
        return status;
    }

    /** {@code {"error":{"message","type","param","code"}}}. */
    ObjectNode body() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }
}
