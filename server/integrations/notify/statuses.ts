// Notify's message statuses -> the four the API reports (wire Delivery.status).
import type { DeliveryStatus } from '../../domain/delivery.ts';

/**
 * created/sending/pending: still on its way. delivered: on the phone or in the
 * inbox. The three failures: it will not arrive. sent: handed to a network
 * abroad that reports nothing more, so whether it arrived is not known (and
 * will not become known: asking again is pointless). Anything else (a status
 * Notify adds later) is 'unknown' too.
 */
export function deliveryStatusOf(notifyStatus: string): DeliveryStatus {
  switch (notifyStatus) {
    case 'created':
    case 'sending':
    case 'pending':
      return 'sending';
    case 'delivered':
      return 'delivered';
    case 'permanent-failure':
    case 'temporary-failure':
    case 'technical-failure':
      return 'failed';
    default:
      return 'unknown';
  }
}
