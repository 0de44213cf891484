"""ERPNext documents sent to the customer where they chat: an invoice, an order, a quotation with
its PDF, into the customer's Chatwoot conversation, and kept on the document's timeline."""
