package dev.conclave.text.chat;

import java.util.List;
import java.util.Map;

/** Expression nodes of the template AST. */
sealed interface Expr {
    Pos pos();

    record Literal(Pos pos, Object value) implements Expr { }

    record Name(Pos pos, String name) implements Expr { }

    /** A tuple literal or a comma-separated target; evaluates to an immutable list. */
    record Tuple(Pos pos, List<Expr> items) implements Expr { }

    record ListLiteral(Pos pos, List<Expr> items) implements Expr { }

    record DictLiteral(Pos pos, List<Expr> keys, List<Expr> values) implements Expr { }

    /** {@code obj.name}: attribute first, then item, as jinja2's getattr. */
    record Attribute(Pos pos, Expr object, String name) implements Expr { }

    /** {@code obj[key]}: item first, then attribute, as jinja2's getitem. */
    record Item(Pos pos, Expr object, Expr key) implements Expr { }

    /** {@code obj[start:stop:step]}; absent parts are null. */
    record Slice(Pos pos, Expr object, Expr start, Expr stop, Expr step) implements Expr { }

    record Call(Pos pos, Expr callee, List<Expr> args, Map<String, Expr> kwargs) implements Expr { }

    record Filter(Pos pos, Expr value, String name, List<Expr> args, Map<String, Expr> kwargs) implements Expr { }

    record Test(Pos pos, Expr value, String name, List<Expr> args, boolean negated) implements Expr { }

    /** {@code not}, unary {@code -} and {@code +}. */
    record Unary(Pos pos, String op, Expr operand) implements Expr { }

    /** Arithmetic, {@code ~}, {@code and} and {@code or}. */
    record Binary(Pos pos, String op, Expr left, Expr right) implements Expr { }

    /** A possibly chained comparison {@code a < b <= c}, including {@code in} and {@code not in}. */
    record Compare(Pos pos, Expr first, List<String> ops, List<Expr> operands) implements Expr { }

    /** {@code then if condition else otherwise}; a missing else yields undefined. */
    record Conditional(Pos pos, Expr condition, Expr then, Expr otherwise) implements Expr { }
}
