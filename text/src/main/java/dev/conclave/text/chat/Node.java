package dev.conclave.text.chat;

import java.util.List;

/** Statement nodes of the template AST. */
sealed interface Node {
    Pos pos();

    record Text(Pos pos, String text) implements Node { }

    record Print(Pos pos, Expr value) implements Node { }

    record If(Pos pos, Expr condition, List<Node> then, List<Node> otherwise) implements Node { }

    /** {@code for target in iterable [if filter]}; {@code otherwise} runs when no item passed the filter. */
    record For(Pos pos, Expr target, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise)
            implements Node { }

    /** {@code set target = value}, where the target is a name, a tuple of names or a namespace attribute. */
    record Set(Pos pos, Expr target, Expr value) implements Node { }

    /** {@code set name %}...{% endset}: captures rendered output. */
    record SetBlock(Pos pos, String name, List<Node> body) implements Node { }

    record Macro(Pos pos, String name, List<String> params, List<Expr> defaults, List<Node> body) implements Node { }

    /** {@code call(params) callee(args)}: the body becomes {@code caller} inside the called macro. */
    record CallBlock(Pos pos, Expr.Call call, List<String> params, List<Expr> defaults, List<Node> body)
            implements Node { }

    /** A group of statements with no semantics of its own, such as Hugging Face's {@code generation} block. */
    record Sequence(Pos pos, List<Node> body) implements Node { }

    record Break(Pos pos) implements Node { }

    record Continue(Pos pos) implements Node { }
}
