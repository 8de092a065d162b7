export { type HttpGetOptions, type HttpTarget, httpGet, parseHttpUrl } from './client.js';
export {
  type HttpLimits,
  HttpParseError,
  type HttpRequest,
  HttpRequestParser,
  type HttpResponse,
  HttpResponseParser,
} from './parser.js';
export {
  createHttpServer,
  type HttpHandler,
  type HttpServer,
  type HttpServerOptions,
  type HttpServerRequest,
  type HttpServerResponse,
} from './server.js';
