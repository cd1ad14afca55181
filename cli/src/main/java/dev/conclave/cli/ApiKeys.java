package dev.conclave.cli;

/** The API key of a network command: its --api-key option, else $CONCLAVE_API_KEY, else none. */
final class ApiKeys {

    private ApiKeys() {
    }

    /** The key to use, or null when neither the option nor the environment sets a non-empty one. */
    static String resolve(String option) {
        String key = option != null ? option : System.getenv("CONCLAVE_API_KEY");
        return key == null || key.isEmpty() ? null : key;
    }
}
