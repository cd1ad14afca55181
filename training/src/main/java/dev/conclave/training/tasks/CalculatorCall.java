package dev.conclave.training.tasks;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.SplittableRandom;

/**
 * A tool-call round trip in the GLM-4.5 XML format: the user asks for a product, sum or difference of two
 * numbers, the assistant calls {@code calculator(expression)}, the tool answers, the assistant states the
 * result. SFT trains the whole round trip; the RL task scores the first assistant turn, which must be one
 * well-formed call with the right expression ({@code tool_call} verifier). Numbers have 2 or 3 digits.
 */
public final class CalculatorCall implements SyntheticTask {
    private static final String[] OPERATORS = {"+", "-", "*"};
    private static final String[] PHRASES = {"What is %s?", "Compute %s.", "Use the calculator: %s", "How much is %s?"};

    private final boolean thinking;

    public CalculatorCall(boolean thinking) {
        this.thinking = thinking;
    }

    /** The OpenAI {@code tools} array offered with every prompt. */
    public static ArrayNode tools() {
        ObjectNode tool = Messages.JSON.objectNode();
        tool.put("type", "function");
        ObjectNode function = tool.putObject("function");
        function.put("name", "calculator");
        function.put("description", "Evaluate an integer arithmetic expression with + - * and parentheses.");
        ObjectNode parameters = function.putObject("parameters");
        parameters.put("type", "object");
        ObjectNode expression = parameters.putObject("properties").putObject("expression");
        expression.put("type", "string");
        expression.put("description", "The expression, e.g. 37*24");
        parameters.putArray("required").add("expression");
        ArrayNode tools = Messages.JSON.arrayNode();
        tools.add(tool);
        return tools;
    }

    @Override
    public String name() {
        return "calculator";
    }

    @Override
    public String verifier() {
        return "tool_call";
    }

    @Override
    public Problem sample(SplittableRandom random) {
        String expression = operand(random) + OPERATORS[random.nextInt(OPERATORS.length)] + operand(random);
        String question = String.format(PHRASES[random.nextInt(PHRASES.length)], expression);
        long result = Calculator.evaluate(expression);

        ObjectNode call = Messages.assistant(thinking ? "I use the calculator for " + expression + "." : null, "");
        ObjectNode function = call.putArray("tool_calls").addObject().put("type", "function").putObject("function");
        function.put("name", "calculator");
        function.putObject("arguments").put("expression", expression);
        ObjectNode toolResult = Messages.message("tool", Long.toString(result));
        ObjectNode reply = Messages.assistant(thinking ? "The calculator returned " + result + "." : null,
                expression + " = " + result);

        ObjectNode expected = Messages.JSON.objectNode();
        expected.put("name", "calculator");
        expected.putObject("arguments").put("expression", expression);
        return new Problem(Messages.user(question), tools(), Messages.array(call, toolResult, reply), expected.toString());
    }

    private static int operand(SplittableRandom random) {
        return random.nextInt(10, 1000);
    }
}
