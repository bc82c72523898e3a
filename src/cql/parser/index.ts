/** The CQL subset parser: shared by the emulator (src/sim) and `doctor`. */
export * from './ast.js';
export { CqlSyntaxError, UnsupportedStatementError, tokenize, type Token, type TokenKind } from './lexer.js';
export { parseStatement, parseType } from './parser.js';
