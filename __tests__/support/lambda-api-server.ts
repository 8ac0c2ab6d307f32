// The fake Lambda API lives in lambda-api/; this path stays for the tests that import it.
export * from './lambda-api/server.js'
