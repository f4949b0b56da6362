//! Every option name, in one place.

syn::custom_keyword!(capacity);
syn::custom_keyword!(thread_local);
syn::custom_keyword!(ttl);
syn::custom_keyword!(key);
syn::custom_keyword!(domain);
syn::custom_keyword!(strict);
syn::custom_keyword!(max_entries);
syn::custom_keyword!(policy);
syn::custom_keyword!(single_flight);
syn::custom_keyword!(cache_if);
syn::custom_keyword!(refresh);
syn::custom_keyword!(stale_on_error);
syn::custom_keyword!(ttl_of);
syn::custom_keyword!(store);
syn::custom_keyword!(version);
