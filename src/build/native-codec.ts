import { createHash } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'

/**
 * The runtime's native library (runtime/native/: the JSON codec, and HTTP
 * helpers) is a pil21
 * extension in its LLVM dialect, like the tree's own lib/ht.so, and like it
 * fits only the interpreter it is built with. It joins the tree before make,
 * with rules that copy ht.so's, so each builder compiles it with the
 * interpreter, as native, in a container or for another architecture, with its
 * own toolchain. The runtime loads lib/lambdajson.so when it is there and falls
 * back on the Lisp codec otherwise (runtime/json-native.l).
 */
export const CODEC_LIBRARY = 'lib/lambdajson.so'

/**
 * make's rules. The IR comes from the interpreter just built, started as
 * pil21's own `pil` script starts it; a cross build, whose interpreter cannot
 * run here, sets LAMBDAJSON_PIL to run it under qemu-user, or LAMBDAJSON to
 * nothing to build without the codec. The codec only makes the runtime
 * faster: when it does not compile (a pil21 release it does not know yet),
 * the build goes on without it, and obtainPicoLisp warns.
 */
export const CODEC_RULES = `
# The Lambda runtime's native JSON codec, added by picolisp-lambda-action
LAMBDAJSON ?= $(LIB)/lambdajson.so
LAMBDAJSON_PIL ?= $(BIN)/picolisp
LAMBDAJSON_RUN = $(LAMBDAJSON_PIL) ../lib.l @lib/net.l @lib/misc.l @lib/btree.l @lib/db.l @lib/pilog.l

all: $(LAMBDAJSON)

$(LIB)/lambdajson.so: $(INC) lambdajson.l | $(BIN)/picolisp
\t( $(LAMBDAJSON_RUN) lib/llvm.l lambdajson.l -bye > lambdajson.ll \\
\t   && $(ASM) -o lambdajson.bc lambdajson.ll \\
\t   && $(LLC) lambdajson.bc -relocation-model=pic -o lambdajson.s \\
\t   && $(CC) lambdajson.s -o $(LIB)/lambdajson.so $(SHARED) \\
\t   && $(STRIP) $(LIB)/lambdajson.so ) \\
\t|| { rm -f $(LIB)/lambdajson.so; echo "lambdajson.so: not built, see above"; }
`

/**
 * The library's files in runtime/native/, compiled as one module in this
 * order: json.l begins it, http.l ends it (as in scripts/build-native-json.sh).
 */
export const NATIVE_SOURCES = ['json.l', 'http.l']

/** The library's source: its files joined. */
async function source(runtimeDir: string): Promise<string> {
  const parts = NATIVE_SOURCES.map((file) =>
    fs.readFile(path.join(runtimeDir, 'native', file), 'utf8'),
  )
  return (await Promise.all(parts)).join('')
}

/** Puts the library's source and rules into the extracted tree's src/. */
export async function addNativeCodec(sourceDir: string, runtimeDir: string): Promise<void> {
  const src = path.join(sourceDir, 'src')
  await fs.writeFile(path.join(src, 'lambdajson.l'), await source(runtimeDir))
  await fs.appendFile(path.join(src, 'Makefile'), CODEC_RULES)
}

/** A short digest of the library's source and rules: a change to either is a new build. */
export async function nativeCodecDigest(runtimeDir: string): Promise<string> {
  return createHash('sha256')
    .update(await source(runtimeDir))
    .update(CODEC_RULES)
    .digest('hex')
    .slice(0, 12)
}
