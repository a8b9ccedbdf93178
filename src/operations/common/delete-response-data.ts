/** DeleteResponseData (docs/gxf.md#response-storage): the one synchronous operation; removes a stored outcome. */
import { defineResponseData } from '../define.ts';

export default defineResponseData({
  service: 'SmartMeteringCommon',
  soap: { request: 'DeleteResponseDataRequest', response: 'DeleteResponseDataResponse', wsdlOperation: 'DeleteResponseData' },
  restRoute: 'DELETE /api/v1/responses/:correlationUid',
});
