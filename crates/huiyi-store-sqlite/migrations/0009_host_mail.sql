-- Whether a customer's hosts get their own invitation letters when they book, edit or cancel
-- with email_notify (1, the default) or only their invitees do (0).
ALTER TABLE customers ADD COLUMN host_mail INTEGER NOT NULL DEFAULT 1 CHECK (host_mail IN (0, 1));

-- The language of the customer's invitation letters and texts: 'zh-CN' (the default) or 'en'.
ALTER TABLE customers ADD COLUMN mail_language TEXT NOT NULL DEFAULT 'zh-CN'
    CHECK (mail_language IN ('zh-CN', 'en'));
