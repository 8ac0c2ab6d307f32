/**
 * Handler files the runtime tests load. `ops.l` dispatches on the event's "op",
 * so one long-lived process can show that state survives every kind of call.
 */
export const OPS_HANDLER = `
# Globals named like the runtime's own locals would be: PicoLisp binds
# dynamically, so a runtime binding one of these would hide the user's value
(setq *Count 0  Len "user Len"  Status "user Status"  File "user File"  Hdrs "user Hdrs")

(de op (E Key) (cdr (assoc Key E)))

(de deep (N) (+ 1 (deep (inc N))))

(de main (E H)
   (case (op E "op")
      ("echo" (op E "value"))
      ("count" (inc '*Count))
      ("codec" (list (cons "codec" (if lambda-runtime~*LambdaJsonNativeDecode "native" "lisp"))))
      ("context"
         (list
            (cons "requestId" *LambdaRequestId)
            (cons "deadline" *LambdaDeadline)
            (cons "remaining" (lambda-remaining-ms))
            (cons "arn" *LambdaFunctionArn)
            (cons "trace" *LambdaTraceId)
            (cons "traceEnv" (or (sys "_X_AMZN_TRACE_ID") "unset"))
            (cons "clientContext" *LambdaClientContext)
            (cons "cognito" *LambdaCognitoIdentity)
            (cons "tenant" *LambdaTenantId)
            (cons "headers" (cons T (mapcar '((X) (list T (car X) (cdr X))) H))) ) )
      ("set-trace" (sys "_X_AMZN_TRACE_ID" "set by the handler") 1)
      ("globals" (list (cons "values" (list T Len Status File Hdrs))))
      ("fail" (car (op E "value")))
      ("quit" (quit "Order rejected" 42))
      ("bare-quit" (quit))
      ("throw" (throw 'nowhere 1))
      ("deep" (deep 0))
      ("unencodable" (cons "not-json" 1))
      ("self" (let L (list "a" 2) (set L L)))  # A list that holds itself
      ("big" (pack (need (op E "size") "x")))
      ("noise"
         (prinl "HTTP/1.1 200 OK^M^JContent-Length: 2^M^J^M^Jno")
         (out 2 (prinl "to stderr: HTTP/1.1 500"))
         (print E)
         "quiet" )
      ("log" (lambda-log 'info "hello @1" (op E "value")) "logged")
      ("redefine"
         (de main (E H) (list (cons "redefined" (inc '*Count))))
         (de init () "user init")
         (de serve () "user serve")
         (de respond () "user respond")
         "redefined" )
      (T (pack "unknown op " (op E "op"))) ) )
`

/** Asks for its event undecoded. */
export const RAW_HANDLER = `
(on *LambdaRawEvent)
(de main (E H) (pack "raw:" E))
`
